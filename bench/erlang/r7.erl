%% R7: gen_server:call round trips to an echo server (default 5 s timeout, as postbox's
%% GenServer.call arms one); calls per second.
%% same-thread: 1,000,000 calls, one caller (run with +S 1).
%% cross-thread: 200,000 calls, caller bound to scheduler 1, server to scheduler 2 (+S 2).
%% cross-thread-pipelined: 200,000 calls from 16 callers on scheduler 1 to the server on 2.
-module(r7).
-behaviour(gen_server).
-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).

main([Variant, RunsArg]) ->
    {Calls, Clients, CallerOpts, ServerOpts} =
        case Variant of
            "same-thread" -> {1000000, 1, [], []};
            "cross-thread" -> {200000, 1, [{scheduler, 1}], [{scheduler, 2}]};
            "cross-thread-pipelined" -> {200000, 16, [{scheduler, 1}], [{scheduler, 2}]}
        end,
    {ok, Server} = gen_server:start(?MODULE, [], [{spawn_opt, ServerOpts}]),
    Samples = bench_common:repeat(bench_common:runs(RunsArg),
                                  fun() -> bench_common:rate(Calls, once(Server, Calls, Clients, CallerOpts)) end),
    bench_common:emit(r7, [bench_common:row("R7", Variant, "ops/s", Samples)]).

once(Server, Calls, Clients, CallerOpts) ->
    Report = self(),
    T0 = bench_common:now_ns(),
    [spawn_opt(fun() -> call_loop(Server, Calls div Clients), Report ! done end, CallerOpts)
     || _ <- lists:seq(1, Clients)],
    [receive done -> ok end || _ <- lists:seq(1, Clients)],
    bench_common:now_ns() - T0.

call_loop(_Server, 0) -> ok;
call_loop(Server, N) ->
    N = gen_server:call(Server, N),
    call_loop(Server, N - 1).

init([]) -> {ok, 0}.
handle_call(Req, _From, N) -> {reply, Req, N + 1}.
handle_cast(_Msg, N) -> {noreply, N}.
