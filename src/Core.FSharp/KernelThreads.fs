/// The threads that split kernels run on: the calling thread plus dedicated workers.
///
/// A split matrix product or element-wise kernel is a handful of parts of a millisecond or less, too short for the
/// .NET thread pool: a caller that has finished its own part waits long for the pool worker's (bench/README.md,
/// "Measurements behind the kernels' choices"). Here a worker that has just finished a part spins for a short while
/// (`spinMicroseconds`) before it sleeps, as OpenMP's workers do, so back-to-back kernels find it awake; parts are
/// claimed one at a time by whoever is free, so a caller whose worker is late runs the next part itself instead of
/// waiting; and a caller that finds every worker taken (another thread is running a kernel) runs all parts itself
/// rather than oversubscribing the cores.
module internal Nabla.Core.KernelThreads

open System
open System.Diagnostics
open System.Runtime.ExceptionServices
open System.Threading

/// How long an idle worker spins, looking for the next job, before it sleeps (and a caller, waiting for the
/// workers' parts, before it sleeps).
let spinMicroseconds = 100.0
let private spinTicks = int64 (spinMicroseconds * float Stopwatch.Frequency / 1e6)

/// One split kernel: parts 0 .. parts-1 of `body`, claimed one at a time from `next`.
[<AllowNullLiteral>]
type private Job(parts: int, body: int -> unit) =
    let mutable next = 0
    let mutable pending = parts
    let mutable error: ExceptionDispatchInfo = null
    /// Claims and runs parts until none is left; the one that finishes the last part wakes a waiting `Join`.
    member this.Work() =
        let mutable p = Interlocked.Increment(&next) - 1
        while p < parts do
            try body p
            with e -> Interlocked.CompareExchange(&error, ExceptionDispatchInfo.Capture e, null) |> ignore
            if Interlocked.Decrement(&pending) = 0 then lock this (fun () -> Monitor.PulseAll this)
            p <- Interlocked.Increment(&next) - 1
    /// Returns when every part has finished: spins for up to `spinTicks`, then sleeps on the job's monitor (no
    /// wait handle is made, so nothing is left for the finalizer).
    member this.Join(spinTicks: int64) =
        let start = Stopwatch.GetTimestamp()
        while Volatile.Read(&pending) > 0 && Stopwatch.GetTimestamp() - start < spinTicks do Thread.SpinWait 20
        if Volatile.Read(&pending) > 0 then
            lock this (fun () -> while Volatile.Read(&pending) > 0 do Monitor.Wait this |> ignore)
    member _.Error = error

/// A dedicated background thread that runs the parts of the jobs posted to it (`Start` starts it: not from the
/// constructor, so that the thread never sees a half-made worker).
type private Worker() =
    let wake = new SemaphoreSlim(0)
    let mutable job: Job = null
    let mutable sleeping = 0
    /// 1 while a caller has claimed this worker for its job (the worker frees itself when it is done).
    let mutable claimed = 0

    let loop () =
        while true do
            let mutable j = Volatile.Read(&job)
            if isNull j then
                // spin for a while, then sleep until posted to (a stray wake-up finds no job and loops)
                let start = Stopwatch.GetTimestamp()
                while isNull j && Stopwatch.GetTimestamp() - start < spinTicks do
                    Thread.SpinWait 20
                    j <- Volatile.Read(&job)
                if isNull j then
                    Interlocked.Exchange(&sleeping, 1) |> ignore
                    j <- Volatile.Read(&job)
                    if isNull j then wake.Wait()
                    Interlocked.Exchange(&sleeping, 0) |> ignore
                    j <- Volatile.Read(&job)
            if not (isNull j) then
                j.Work()
                Volatile.Write(&job, null)
                Volatile.Write(&claimed, 0)

    let thread = Thread(loop, IsBackground = true, Name = "Nabla kernel worker")

    /// Starts the worker's thread (once, right after construction).
    member _.Start() = thread.Start()

    /// Claims the worker for one job; false when another caller has it.
    member _.TryClaim() = Interlocked.CompareExchange(&claimed, 1, 0) = 0

    /// Hands a job to a claimed worker, waking it if it sleeps.
    member _.Post(j: Job) =
        Interlocked.Exchange(&job, j) |> ignore
        if Volatile.Read(&sleeping) = 1 then wake.Release() |> ignore

let private gate = obj ()
let mutable private workers: Worker[] = [||]

/// The dedicated workers, at least `count` of them (made on first need, never stopped: an idle one sleeps).
let private workersFor (count: int) =
    let current = workers
    if current.Length >= count then current
    else
        lock gate (fun () ->
            if workers.Length < count then
                workers <- Array.append workers (Array.init (count - workers.Length) (fun _ -> let w = Worker() in w.Start(); w))
            workers)

/// Runs `body 0` .. `body (parts - 1)` on the calling thread and up to `threads - 1` dedicated workers (fewer when
/// other callers have them), each part exactly once, and returns when all have finished; the first exception a part
/// threw is rethrown here.
let run (threads: int) (parts: int) (body: int -> unit) =
    if parts <= 1 || threads <= 1 then
        for p in 0 .. parts - 1 do body p
    else
        let job = Job(parts, body)
        let pool = workersFor (min threads parts - 1)
        let mutable helpers = 0
        for w in pool do
            if helpers < min threads parts - 1 && w.TryClaim() then
                w.Post job
                helpers <- helpers + 1
        job.Work()
        job.Join spinTicks
        match job.Error with
        | null -> ()
        | e -> e.Throw()
