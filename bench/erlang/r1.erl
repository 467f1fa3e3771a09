%% R1: ping-pong of {ping, N, From} / {pong, N, From}; one-way messages per second.
%% same-thread: 1,000,000 round trips (run with +S 1).
%% cross-thread: 100,000 round trips, pinger bound to scheduler 1 and ponger to scheduler 2
%% (run with +S 2), as postbox's cross-thread variant places them on two scheduler threads.
-module(r1).
-export([main/1]).

main([Variant, RunsArg]) ->
    {Rounds, PingOpts, PongOpts} =
        case Variant of
            "same-thread" -> {1000000, [], []};
            "cross-thread" -> {100000, [{scheduler, 1}], [{scheduler, 2}]}
        end,
    Samples = bench_common:repeat(bench_common:runs(RunsArg),
                                  fun() -> bench_common:rate(2 * Rounds, once(Rounds, PingOpts, PongOpts)) end),
    bench_common:emit(r1, [bench_common:row("R1", Variant, "msgs/s", Samples)]).

%% Nanoseconds for Rounds round trips, spawning included (as in the postbox workload).
once(Rounds, PingOpts, PongOpts) ->
    Report = self(),
    T0 = bench_common:now_ns(),
    Pong = spawn_opt(fun pong/0, PongOpts),
    spawn_opt(fun() -> ping(Pong, 0, Rounds), Report ! done end, PingOpts),
    receive done -> ok end,
    Elapsed = bench_common:now_ns() - T0,
    exit(Pong, kill),
    Elapsed.

ping(_Pong, Rounds, Rounds) -> ok;
ping(Pong, N, Rounds) ->
    Pong ! {ping, N, self()},
    receive {pong, _, _} -> ping(Pong, N + 1, Rounds) end.

pong() ->
    receive {ping, N, From} -> From ! {pong, N, self()} end,
    pong().
