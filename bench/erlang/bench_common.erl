%% Shared by the Erlang side of `npm run bench:compare` (bench/compare.ts): timing of repeated
%% runs after a warm-up, and the one JSON line each workload module prints.
%%
%%   compare.ts --(erl +S N -noshell -run rX main Variant Runs)--> rX:main/1
%%       rX:main/1 --> bench_common:repeat/2 (1 warm-up + Runs timed) --> bench_common:emit/2
%%       <-- one line: {"otp":..,"schedulers":..,"rows":[{"id","variant","unit","samples"}]}
%%
%% Samples are already in the row's unit (msgs/s, us, bytes); compare.ts takes their median.
-module(bench_common).
-export([repeat/2, now_ns/0, rate/2, micros_each/2, runs/1, emit/2, row/4, wait_status/2]).

%% Monotonic time in nanoseconds.
now_ns() -> erlang:monotonic_time(nanosecond).

%% Calls Fun once untimed, then Runs times; Fun returns what it measured (any number).
repeat(Runs, Fun) ->
    _ = Fun(),
    [Fun() || _ <- lists:seq(1, Runs)].

%% Count operations in Ns nanoseconds as operations per second.
rate(Count, Ns) -> Count * 1.0e9 / Ns.

%% Microseconds per operation.
micros_each(Count, Ns) -> Ns / 1000 / Count.

runs(S) -> max(1, list_to_integer(S)).

row(Id, Variant, Unit, Samples) -> {Id, Variant, Unit, Samples}.

%% Yields until Pid has run to its receive (status waiting), like the postbox spawn workload.
wait_status(Pid, Status) ->
    case erlang:process_info(Pid, status) of
        {status, Status} -> ok;
        undefined -> erlang:error({gone, Pid});
        _ -> erlang:yield(), wait_status(Pid, Status)
    end.

%% Prints the one JSON line of a module's results.
emit(Module, Rows) ->
    Meta = io_lib:format(
        "\"module\":\"~s\",\"otp\":\"~s\",\"erts\":\"~s\",\"schedulers\":~b,\"schedulers_online\":~b",
        [Module, erlang:system_info(otp_release), erlang:system_info(version),
         erlang:system_info(schedulers), erlang:system_info(schedulers_online)]),
    RowsJson = lists:join(",", [row_json(R) || R <- Rows]),
    io:format("{~s,\"rows\":[~s]}~n", [Meta, RowsJson]).

row_json({Id, Variant, Unit, Samples}) ->
    io_lib:format("{\"id\":\"~s\",\"variant\":\"~s\",\"unit\":\"~s\",\"samples\":[~s]}",
                  [Id, Variant, Unit, lists:join(",", [number(S) || S <- Samples])]).

number(N) when is_integer(N) -> integer_to_list(N);
number(F) when is_float(F) -> float_to_list(F, [{decimals, 4}, compact]).
