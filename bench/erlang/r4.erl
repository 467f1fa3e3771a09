%% R4: fan-in of {msg, N} to one counting receiver (msgs/s).
%% same-thread: 1 sender x 1,000,000 (run with +S 1).
%% cross-thread: 2 senders x 1,000,000 each (run with +S 2; the schedulers balance the three
%% processes over the two cores, as postbox's three threads share them).
-module(r4).
-export([main/1]).

-define(PER_SENDER, 1000000).

main([Variant, RunsArg]) ->
    Senders = case Variant of "same-thread" -> 1; "cross-thread" -> 2 end,
    Samples = bench_common:repeat(bench_common:runs(RunsArg),
                                  fun() -> bench_common:rate(Senders * ?PER_SENDER, once(Senders)) end),
    bench_common:emit(r4, [bench_common:row("R4", Variant, "msgs/s", Samples)]).

once(Senders) ->
    Report = self(),
    T0 = bench_common:now_ns(),
    Sink = spawn(fun() -> sink(Senders * ?PER_SENDER, Report) end),
    [spawn(fun() -> source(Sink, 0) end) || _ <- lists:seq(1, Senders)],
    receive done -> ok end,
    bench_common:now_ns() - T0.

sink(0, Report) -> Report ! done;
sink(N, Report) -> receive _ -> sink(N - 1, Report) end.

source(_Sink, ?PER_SENDER) -> ok;
source(Sink, N) -> Sink ! {msg, N}, source(Sink, N + 1).
