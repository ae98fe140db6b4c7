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
/// returned beyond that is left to the GC. After each full (gen-2) collection, buckets that were not rented from since
/// the one before are emptied, so a program that stops using a size gets its memory back. Arrays below `minBytes`
/// are not pooled: the GC's young generation reuses their memory already.
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

/// The most bytes the pool holds: 1/16 of the memory the GC may use, at most 1 GiB.
let capacityBytes =
    let total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes
    if total <= 0L then 256L <<< 20 else min (1L <<< 30) (total / 16L)

/// One size class: the free arrays of one element type and length, and the gen-2 count at its last rent.
type private Bucket() =
    member val Free = Stack<Array>() with get
    member val LastRent = 0 with get, set

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
        if pooledBytes + bytes <= capacityBytes then
            let key = struct (a.GetType(), a.Length)
            let b =
                match buckets.TryGetValue key with
                | true, b -> b
                | _ ->
                    let b = Bucket(LastRent = GC.CollectionCount 2)
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

/// Empties the buckets not rented from since the previous full collection; re-arms itself for the next one.
[<Sealed; AllowNullLiteral>]
type private Gen2Sentinel() =
    override this.Finalize() =
        if not Environment.HasShutdownStarted then
            let now = GC.CollectionCount 2
            lock gate (fun () ->
                let stale = [ for KeyValue(k, b) in buckets do if now - b.LastRent > 1 then yield k, b ]
                for k, b in stale do
                    for a in b.Free do pooledBytes <- pooledBytes - bytesOf a
                    buckets.Remove k |> ignore)
            GC.ReRegisterForFinalize this

do Gen2Sentinel() |> ignore

/// An array of `n` elements of type 'T whose contents are undefined (the caller writes every element): a pooled one
/// when one of that length is free, else a fresh one. Small arrays come from the GC directly.
let rent<'T> (n: int) : 'T[] =
    if not (enabled && int64 n * int64 (Unsafe.SizeOf<'T>()) >= int64 minBytes) then GC.AllocateUninitializedArray<'T> n
    else
        let key = struct (typeof<'T[]>, n)
        let pooled =
            lock gate (fun () ->
                match buckets.TryGetValue key with
                | true, b when b.Free.Count > 0 ->
                    b.LastRent <- GC.CollectionCount 2
                    let a = b.Free.Pop()
                    pooledBytes <- pooledBytes - int64 n * int64 (Unsafe.SizeOf<'T>())
                    hits <- hits + 1L
                    a :?> 'T[]
                | true, b ->
                    b.LastRent <- GC.CollectionCount 2
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
