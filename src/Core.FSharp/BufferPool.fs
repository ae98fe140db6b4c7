/// Reuse of large tensor buffers. A result of 85,000 bytes or more would be a fresh array on the large object heap,
/// whose freed pages the GC hands back to the OS, so that every large result is written into pages the OS must
/// fault in and zero again (about 2 us per 4 KiB page). Instead, kernels rent their large outputs and temporaries
/// here: an array of the same element type and length that nothing can read any more is handed out again, warm.
///
/// When is a buffer free? Every rented array gets a lease: a small finalizable object tied to the array (not to a
/// tensor) through a ConditionalWeakTable, which keeps the lease alive exactly as long as the array itself is
/// reachable. The GC finalizes the lease only once no tensor, no kernel local, no span and no user code can reach
/// the array; the finalizer then puts the array back into the pool. So a buffer is never reused while anything
/// still reads it: not a tensor that a user holds, not a view that shares the array (reshape), not an array a kernel
/// is still working on after its tensor died. Kernels that know a buffer is dead sooner (a temporary of their own
/// that never escaped) give it back at once with `giveBack`.
///
/// Bounds: the pool keeps at most `capacityBytes` (1/16 of the memory the GC may use, at most 1 GiB); an array
/// returned beyond that first empties the sizes rented longest ago, else it is left to the GC. At each full (gen-2)
/// collection, sizes not rented for two collections and a second are emptied, and half of what sat unused through the last two intervals is dropped, so that a program
/// that stops using a size gets its memory back and the pool tracks what is needed between collections. Arrays below
/// `minBytes` are not pooled: the GC's young generation reuses their memory already.
module internal Nabla.Core.BufferPool

open System
open System.Collections.Generic
open System.Runtime.CompilerServices
open System.Threading

/// Arrays of at least this many bytes are pooled (the GC's large-object threshold).
[<Literal>]
let minBytes = 85000

/// False when the environment variable NABLA_BUFFER_POOL is "off" (every buffer then comes from the GC, as without
/// the pool: for diagnosis and for measuring the pool against the GC alone).
let enabled =
    match Environment.GetEnvironmentVariable "NABLA_BUFFER_POOL" with
    | null -> true
    | v -> not (v.Trim().Equals("off", StringComparison.OrdinalIgnoreCase))

/// The most bytes the pool holds (mutable for tests): 1/16 of the memory the GC may use, at most 1 GiB.
let mutable capacityBytes =
    let total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes
    if total <= 0L then 256L <<< 20 else min (1L <<< 30) (total / 16L)

/// One size class: the free arrays of one element type and length, and the gen-2 count at its last rent.
type private Bucket() =
    member val Free = Stack<Array>() with get
    member val LastRent = 0 with get, set
    /// Environment.TickCount64 at its last rent.
    member val LastRentTime = 0L with get, set
    /// The fewest free arrays this bucket held after a rent since the last full collection (Int32.MaxValue before
    /// the first): that many sat unused all along.
    member val LowWater = Int32.MaxValue with get, set
    /// The low-water mark of the interval before.
    member val PreviousLowWater = Int32.MaxValue with get, set

let private gate = obj ()
let private buckets = Dictionary<struct (Type * int), Bucket>()
let mutable private pooledBytes = 0L
let mutable private hits = 0L
let mutable private misses = 0L
let mutable private returned = 0L
let mutable private dropped = 0L

let private bytesOf (a: Array) = int64 (Buffer.ByteLength a)

/// Puts a free array back (called by a lease's finalizer and by kernels for their own dead temporaries).
let private put (a: Array) =
    let bytes = bytesOf a
    GC.RemoveMemoryPressure bytes
    lock gate (fun () ->
        let key = struct (a.GetType(), a.Length)
        // Over capacity: make room by emptying sizes rented before this one was last rented (a program that moved on
        // to other shapes must not find the pool full of the old ones), oldest first; else the array is left to the GC.
        if pooledBytes + bytes > capacityBytes then
            let mine = match buckets.TryGetValue key with | true, b -> b.LastRentTime | _ -> Environment.TickCount64
            let older =
                buckets
                |> Seq.filter (fun (KeyValue(k, b)) -> k <> key && b.Free.Count > 0 && b.LastRentTime < mine)
                |> Seq.sortBy (fun (KeyValue(_, b)) -> b.LastRentTime)
                |> Seq.map (fun (KeyValue(_, b)) -> b)
                |> Seq.toArray
            let mutable i = 0
            while pooledBytes + bytes > capacityBytes && i < older.Length do
                let b = older.[i]
                while pooledBytes + bytes > capacityBytes && b.Free.Count > 0 do
                    pooledBytes <- pooledBytes - bytesOf (b.Free.Pop())
                    dropped <- dropped + 1L
                i <- i + 1
        if pooledBytes + bytes <= capacityBytes then
            let b =
                match buckets.TryGetValue key with
                | true, b -> b
                | _ ->
                    let b = Bucket(LastRent = GC.CollectionCount 2, LastRentTime = Environment.TickCount64)
                    buckets.[key] <- b
                    b
            b.Free.Push a
            pooledBytes <- pooledBytes + bytes
            returned <- returned + 1L
        else dropped <- dropped + 1L)

/// The lease of a rented array: finalized once the array is unreachable, it returns the array to the pool.
[<Sealed; AllowNullLiteral>]
type private Lease(array: Array) =
    override _.Finalize() =
        // During shutdown nothing will rent again.
        if not Environment.HasShutdownStarted then put array

let private leases = ConditionalWeakTable<Array, Lease>()

/// At each full collection: empties the buckets not rented from for two collections and a second, and drops from
/// every other bucket half of what sat unused through the last two intervals between collections (their low-water
/// marks), so that the pool follows what the program needs between two collections instead of keeping every array it
/// ever needed at once. Re-arms itself.
[<Sealed; AllowNullLiteral>]
type private Gen2Sentinel() =
    override this.Finalize() =
        if not Environment.HasShutdownStarted then
            let now = GC.CollectionCount 2
            lock gate (fun () ->
                let nowTime = Environment.TickCount64
                let stale = [ for KeyValue(k, b) in buckets do
                                if now - b.LastRent > 1 && nowTime - b.LastRentTime > 1000L then yield k, b ]
                for k, b in stale do
                    for a in b.Free do pooledBytes <- pooledBytes - bytesOf a
                    dropped <- dropped + int64 b.Free.Count
                    buckets.Remove k |> ignore
                for b in buckets.Values do
                    // Intervals between collections differ in length: only what sat unused through two of them
                    // goes, half of it at a time.
                    let unused = min b.LowWater b.PreviousLowWater
                    if unused <> Int32.MaxValue then
                        for _ in 1 .. min ((unused + 1) / 2) b.Free.Count do
                            pooledBytes <- pooledBytes - bytesOf (b.Free.Pop())
                            dropped <- dropped + 1L
                    b.PreviousLowWater <- b.LowWater
                    b.LowWater <- Int32.MaxValue)
            GC.ReRegisterForFinalize this

/// True once the sentinel exists (made by the first pooled rent: a module-level `do` of a library file is not run
/// reliably before its functions are called).
let mutable private sentinelMade = false

/// An array of `n` elements of type 'T whose contents are undefined (the caller writes every element): a pooled one
/// when one of that length is free, else a fresh one. Small arrays come from the GC directly.
let rent<'T> (n: int) : 'T[] =
    if not (enabled && int64 n * int64 (Unsafe.SizeOf<'T>()) >= int64 minBytes) then GC.AllocateUninitializedArray<'T> n
    else
        let key = struct (typeof<'T[]>, n)
        let pooled =
            lock gate (fun () ->
                if not sentinelMade then
                    sentinelMade <- true
                    Gen2Sentinel() |> ignore
                match buckets.TryGetValue key with
                | true, b when b.Free.Count > 0 ->
                    b.LastRent <- GC.CollectionCount 2
                    b.LastRentTime <- Environment.TickCount64
                    let a = b.Free.Pop()
                    b.LowWater <- min b.LowWater b.Free.Count
                    pooledBytes <- pooledBytes - int64 n * int64 (Unsafe.SizeOf<'T>())
                    hits <- hits + 1L
                    a :?> 'T[]
                | true, b ->
                    b.LastRent <- GC.CollectionCount 2
                    b.LastRentTime <- Environment.TickCount64
                    misses <- misses + 1L
                    null
                | _ ->
                    misses <- misses + 1L
                    null)
        let a = if isNull pooled then GC.AllocateUninitializedArray<'T> n else pooled
        leases.AddOrUpdate(a, Lease a)
        GC.AddMemoryPressure(int64 n * int64 (Unsafe.SizeOf<'T>()))
        a

/// As `rent`, with every element zero.
let rentZeroed<'T> (n: int) : 'T[] =
    if not (enabled && int64 n * int64 (Unsafe.SizeOf<'T>()) >= int64 minBytes) then Array.zeroCreate<'T> n
    else
        let a = rent<'T> n
        Array.Clear a
        a

/// As Array.init, into a rented array.
let inline init (n: int) ([<InlineIfLambda>] f: int -> 'T) : 'T[] =
    let a = rent<'T> n
    for i in 0 .. n - 1 do a.[i] <- f i
    a

/// As Array.map, into a rented array.
let inline map ([<InlineIfLambda>] f: 'T -> 'U) (src: 'T[]) : 'U[] =
    let a = rent<'U> src.Length
    for i in 0 .. src.Length - 1 do a.[i] <- f src.[i]
    a

/// Gives back an array that the caller rented and knows nothing else can reach (a temporary that never escaped).
/// Its lease is dropped, so the array is in the pool once, not twice.
let giveBack (a: Array) =
    if not (isNull a) then
        match leases.TryGetValue a with
        | true, lease when leases.Remove a ->
            GC.SuppressFinalize lease
            put a
        | _ -> ()

/// Counters for diagnostics and tests: (rents served from the pool, rents that allocated, arrays returned, arrays
/// dropped beyond capacity, bytes pooled now).
let stats () = lock gate (fun () -> struct (hits, misses, returned, dropped, pooledBytes))

/// How many free arrays of element type 'T and length `n` the pool holds now (for tests and diagnostics).
let freeCount<'T> (n: int) =
    lock gate (fun () ->
        match buckets.TryGetValue(struct (typeof<'T[]>, n)) with
        | true, b -> b.Free.Count
        | _ -> 0)
