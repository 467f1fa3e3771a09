%% R3: ring of 1,000 processes passing {hops, H} 1,000,000 hops (msgs/s);
%% spawn: 100,000 idle processes (each waiting in receive), microseconds and bytes each.
%% Run with +S 1, as postbox's one-thread figures.
-module(r3).
-export([main/1]).

-define(RING_SIZE, 1000).
-define(HOPS, 1000000).
-define(SPAWNS, 100000).

main(["ring", RunsArg]) ->
    Samples = bench_common:repeat(bench_common:runs(RunsArg), fun() -> bench_common:rate(?HOPS, ring()) end),
    bench_common:emit(r3, [bench_common:row("R3", "", "msgs/s", Samples)]);
main(["spawn", RunsArg]) ->
    Pairs = bench_common:repeat(bench_common:runs(RunsArg), fun spawn_idle/0),
    bench_common:emit(r3, [bench_common:row("R3-spawn", "us-per-actor", "us", [Us || {Us, _} <- Pairs]),
                           bench_common:row("R3-spawn", "bytes-per-actor", "bytes", [B || {_, B} <- Pairs])]).

ring() ->
    Report = self(),
    T0 = bench_common:now_ns(),
    Ring = [spawn(fun() -> node_init(Report) end) || _ <- lists:seq(1, ?RING_SIZE)],
    [First | Rest] = Ring,
    lists:foreach(fun({P, Next}) -> P ! {next, Next} end, lists:zip(Ring, Rest ++ [First])),
    First ! {hops, ?HOPS},
    receive done -> ok end,
    Elapsed = bench_common:now_ns() - T0,
    [exit(P, kill) || P <- Ring],
    Elapsed.

node_init(Report) ->
    receive {next, Next} -> node_loop(Next, Report) end.

node_loop(Next, Report) ->
    receive
        {hops, 0} -> Report ! done;
        {hops, H} -> Next ! {hops, H - 1}
    end,
    node_loop(Next, Report).

%% {microseconds each, bytes each}: time until the last one waits in receive; the growth of
%% process memory less the growth of this process (which holds the list of pids).
spawn_idle() ->
    erlang:garbage_collect(),
    Before = erlang:memory(processes),
    {memory, SelfBefore} = erlang:process_info(self(), memory),
    T0 = bench_common:now_ns(),
    Pids = spawn_n(?SPAWNS, []),
    bench_common:wait_status(hd(Pids), waiting),
    Elapsed = bench_common:now_ns() - T0,
    After = erlang:memory(processes),
    {memory, SelfAfter} = erlang:process_info(self(), memory),
    Bytes = (After - Before - (SelfAfter - SelfBefore)) / ?SPAWNS,
    [exit(P, kill) || P <- Pids],
    wait_dead(hd(Pids)),
    {bench_common:micros_each(?SPAWNS, Elapsed), Bytes}.

spawn_n(0, Acc) -> Acc;
spawn_n(N, Acc) -> spawn_n(N - 1, [spawn(fun idle/0) | Acc]).

idle() -> receive _ -> ok end.

wait_dead(Pid) ->
    case is_process_alive(Pid) of
        true -> erlang:yield(), wait_dead(Pid);
        false -> ok
    end.
