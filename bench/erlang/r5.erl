%% R5: request/reply to a helper process with K unrelated {noise, I} messages waiting in the
%% caller's mailbox; microseconds per request (run with +S 1).
%% ref-: the reply carries a ref made just before the send and the receive matches it; the
%%       compiler and runtime then skip the messages that were already queued (OTP 24+).
%% scan-: a plain selective receive on a tag, which scans the K waiting messages each time.
-module(r5).
-export([main/1]).

main([RunsArg]) ->
    Runs = bench_common:runs(RunsArg),
    Rows = [bench_common:row("R5", Variant, "us",
                             bench_common:repeat(Runs, fun() -> once(Mode, K, Requests) end))
            || {Variant, Mode, K, Requests} <- [{"ref-K=0", ref, 0, 100000},
                                                 {"ref-K=10000", ref, 10000, 100000},
                                                 {"scan-K=0", scan, 0, 100000},
                                                 {"scan-K=10000", scan, 10000, 5000}]],
    bench_common:emit(r5, Rows).

once(Mode, K, Requests) ->
    Report = self(),
    Helper = spawn(fun helper/0),
    Requester = spawn(fun() -> requester(Helper, Mode, K, Requests, Report) end),
    Us = receive {us, U} -> U end,
    exit(Helper, kill),
    exit(Requester, kill),
    Us.

helper() ->
    receive
        {req, Ref, From} -> From ! {reply, Ref};
        {req, From} -> From ! {reply}
    end,
    helper().

requester(Helper, Mode, K, Requests, Report) ->
    [self() ! {noise, I} || I <- lists:seq(1, K)],
    T0 = bench_common:now_ns(),
    case Mode of
        ref -> ref_loop(Helper, Requests);
        scan -> scan_loop(Helper, Requests)
    end,
    Report ! {us, bench_common:micros_each(Requests, bench_common:now_ns() - T0)},
    receive stop -> ok end.

ref_loop(_Helper, 0) -> ok;
ref_loop(Helper, N) ->
    Ref = make_ref(),
    Helper ! {req, Ref, self()},
    receive {reply, Ref} -> ok end,
    ref_loop(Helper, N - 1).

scan_loop(_Helper, 0) -> ok;
scan_loop(Helper, N) ->
    Helper ! {req, self()},
    receive {reply} -> ok end,
    scan_loop(Helper, N - 1).
