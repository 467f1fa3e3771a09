%% R6: sends of one refc binary (1 MiB, 16 MiB; off-heap, reference counted) from a process on
%% scheduler 1 to a process on scheduler 2 (run with +S 2); microseconds per send, the receiver
%% taking each message and answering once after the last.
-module(r6).
-export([main/1]).

-define(SENDS, 1000).

main([RunsArg]) ->
    Runs = bench_common:runs(RunsArg),
    Rows = [bench_common:row("R6", Variant, "us", bench_common:repeat(Runs, fun() -> once(Size) end))
            || {Variant, Size} <- [{"1MiB", 1 bsl 20}, {"16MiB", 16 bsl 20}]],
    bench_common:emit(r6, Rows).

once(Size) ->
    Bin = binary:copy(<<7>>, Size),
    Report = self(),
    spawn_opt(fun() ->
                      Sender = self(),
                      Receiver = spawn_opt(fun() -> receiver(?SENDS, Sender) end, [{scheduler, 2}]),
                      T0 = bench_common:now_ns(),
                      [Receiver ! {bin, Bin} || _ <- lists:seq(1, ?SENDS)],
                      receive done -> ok end,
                      Report ! {us, bench_common:micros_each(?SENDS, bench_common:now_ns() - T0)}
              end, [{scheduler, 1}]),
    receive {us, Us} -> Us end.

receiver(0, Sender) -> Sender ! done;
receiver(N, Sender) ->
    receive {bin, B} when is_binary(B) -> ok end,
    receiver(N - 1, Sender).
