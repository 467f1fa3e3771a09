%% R6: streams of 20,000 sends from a process bound to scheduler 1 to a process bound to
%% scheduler 2 (run with +S 2), microseconds per send, the receiver counting them and answering
%% once after the last — the shape of postbox's R6. "N MiB shared binary": {N, Bin} with one refc
%% binary (off-heap, reference counted: a send copies a small ProcBin, not the bytes);
%% "small message": {N}, the same stream without a payload.
-module(r6).
-export([main/1]).

-define(SENDS, 20000).

main([RunsArg]) ->
    Runs = bench_common:runs(RunsArg),
    Rows = [bench_common:row("R6", Variant, "us", bench_common:repeat(Runs, fun() -> once(Size) end))
            || {Variant, Size} <- [{"small message", none}, {"1 MiB shared binary", 1 bsl 20},
                                   {"16 MiB shared binary", 16 bsl 20}]],
    bench_common:emit(r6, Rows).

once(Size) ->
    Report = self(),
    spawn_opt(fun() ->
                      Payload = case Size of none -> none; _ -> binary:copy(<<1>>, Size) end,
                      Sender = self(),
                      Receiver = spawn_opt(fun() -> receiver(?SENDS, Sender) end, [{scheduler, 2}]),
                      T0 = bench_common:now_ns(),
                      send_loop(Receiver, Payload, 0),
                      receive done -> ok end,
                      Report ! {us, bench_common:micros_each(?SENDS, bench_common:now_ns() - T0)}
              end, [{scheduler, 1}]),
    receive {us, Us} -> Us end.

send_loop(_Receiver, _Payload, ?SENDS) -> ok;
send_loop(Receiver, none, N) -> Receiver ! {N}, send_loop(Receiver, none, N + 1);
send_loop(Receiver, Bin, N) -> Receiver ! {N, Bin}, send_loop(Receiver, Bin, N + 1).

receiver(0, Sender) -> Sender ! done;
receiver(N, Sender) ->
    receive _ -> ok end,
    receiver(N - 1, Sender).
