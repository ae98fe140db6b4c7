/// Random tensors (`tf.random.*`) and dropout (`tf.nn.dropout`), drawn from a counter-based generator (Philox-4x32-10,
/// Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) under TensorFlow's seed rules
/// (`tf.random.set_seed`).
///
/// Seeds. Every random op takes an optional op seed and reads the process-wide global seed (`setSeed`); the pair decides
/// the op's stream, as TensorFlow 2 in eager mode:
/// 1. neither set: a stream keyed by fresh nondeterministic bits, different at every call and every run;
/// 2. global only: the op seed is taken from a counter that `setSeed` resets, so the sequence of calls after a
///    `setSeed` repeats (call by call, whatever the ops), and every call differs from the previous ones;
/// 3. op only: TensorFlow's default global seed (87654321) with the op seed, then as 4;
/// 4. both: the pair keys the stream; repeated calls of the same op (same name, dtype and seeds) take the next
///    sub-stream each time (TensorFlow's eager kernel keeps its generator state between calls), so they give different
///    numbers in a sequence that `setSeed` restarts.
///
/// Threads: the seed state is one process-wide object behind a lock. Each call takes its stream (its key and call
/// index) atomically, then samples outside the lock, so concurrent calls never share a stream and never corrupt the
/// counters; N concurrent calls after `setSeed` give the same N results as N sequential calls, in an order that depends
/// on the scheduling. `setSeed` from one thread affects every thread (TensorFlow's global seed is per process too).
///
/// Reproducibility: the bits come from Philox, computed element by element from (key, call, element index), so they do
/// not depend on the machine, the thread count or the run. Uniform, integer, categorical and shuffle results are exact
/// functions of the bits; Normal and TruncatedNormal use System.Math's Log, Sqrt and Cos, which .NET may take from the
/// platform's C library, so they may differ in the last bit between operating systems. The numbers are not TensorFlow's:
/// bitwise equality with TensorFlow is not a goal (its counter layout and conversions differ).
///
/// Results are constants: no derivative flows into a random op's parameters (TensorFlow's ops are not differentiable in
/// them either). Dropout is differentiable in its input.
module Nabla.Core.Randomness

open Nabla.Core

/// The generator and the samplers over explicit streams (no global state): what the ops and the tests use.
module internal Kernels =

    /// One Philox-4x32-10 block: the four 32-bit output words for a 128-bit counter (c0 the low word) and a 64-bit key.
    val philox4x32: c0: uint32 -> c1: uint32 -> c2: uint32 -> c3: uint32 -> k0: uint32 -> k1: uint32 -> struct (uint32 * uint32 * uint32 * uint32)

    /// A stream: the Philox key and the call index that selects the call's sub-stream (counter words 2 and 3).
    [<Struct>]
    type Stream = { K0: uint32; K1: uint32; Call: uint64 }

    /// Element `i`'s block number `draw` of a stream (counter = i, draw, call low, call high).
    val block: s: Stream -> i: int -> draw: uint32 -> struct (uint32 * uint32 * uint32 * uint32)

    /// A float64 in [0, 1) from 53 bits of two words.
    val unit53: hi: uint32 -> lo: uint32 -> float

    /// A float32 in [0, 1) from the top 24 bits of a word.
    val unit24: w: uint32 -> float32

    val uniformFloat: s: Stream -> shape: int[] -> minval: float -> maxval: float -> dtype: DType -> RawTensor
    val uniformInt: s: Stream -> shape: int[] -> minval: int64 -> maxval: int64 -> dtype: DType -> RawTensor
    val normal: s: Stream -> shape: int[] -> mean: float -> stddev: float -> dtype: DType -> RawTensor
    val truncatedNormal: s: Stream -> shape: int[] -> mean: float -> stddev: float -> dtype: DType -> RawTensor
    val categorical: s: Stream -> logits: RawTensor -> numSamples: int -> dtype: DType -> RawTensor
    /// The permutation of 0 .. n-1 the stream gives (Fisher-Yates).
    val permutation: s: Stream -> n: int -> int[]
    val shuffle: s: Stream -> value: RawTensor -> RawTensor
    /// The scaled keep mask of dropout over `noiseShape`: 1/(1-rate) where a uniform draw of the dtype is >= rate, else 0.
    val dropoutMask: s: Stream -> noiseShape: int[] -> rate: float -> dtype: DType -> RawTensor

    /// The stream of one call of op `op` with dtype `dtype` and op seed `seed` under the current global seed
    /// (the four rules above); advances the counters. Thread-safe.
    val nextStream: op: string -> dtype: DType -> seed: int option -> Stream

/// Sets the global seed (`tf.random.set_seed`): `Some s` makes the following random calls repeat from the start of the
/// sequence `s` gives, `None` unsets it (as TensorFlow's `set_seed(None)`). Either way it resets the counters of rules 2
/// and 4, so calling it again with the same seed restarts the same sequence. Affects every thread.
val setSeed: seed: int option -> unit

/// The global seed, if set.
val globalSeed: unit -> int option

/// Normal samples N(mean, stddev²) of the given shape (`tf.random.normal`), Float32 or Float64, by Box-Muller on
/// 53-bit uniforms. A constant. An ArgumentException naming RandomNormal for a bad shape or a non-float dtype.
val normal: shape: int[] -> mean: float -> stddev: float -> dtype: DType -> seed: int option -> Tensor

/// Uniform samples on [minval, maxval) (`tf.random.uniform`). Floats: minval + (maxval - minval) u, u with 24 (Float32)
/// or 53 (Float64) random bits, maxval 1 when None; a Float32 result that rounds up to maxval is moved one ulp below.
/// Int32/Int64: minval + (bits mod (maxval - minval)) with 32 or 64 bits, as TensorFlow (a small bias when the range is
/// not much smaller than 2^32 or 2^64); maxval is required, both bounds must be integers the dtype holds and
/// minval &lt; maxval. A constant. ArgumentException naming RandomUniform for any other case.
val uniform: shape: int[] -> minval: float -> maxval: float option -> dtype: DType -> seed: int option -> Tensor

/// Normal samples conditioned on |z| &lt; 2 (`tf.random.truncated_normal`): a draw more than two standard deviations
/// from the mean is dropped and drawn again, so every value lies in (mean - 2 stddev, mean + 2 stddev) (up to the
/// dtype's rounding). The variance is stddev² (1 - 4φ(2) / (2Φ(2) - 1)) ≈ 0.774 stddev², as TensorFlow's. A constant.
val truncatedNormal: shape: int[] -> mean: float -> stddev: float -> dtype: DType -> seed: int option -> Tensor

/// Class indices drawn from softmax(logits) of each row of `logits` [batch, classes] (`tf.random.categorical`):
/// a result [batch, numSamples] of Int32 or Int64. A -inf logit has probability 0. Not differentiable (a constant).
/// ArgumentException naming Categorical for logits that are not a float matrix, no classes, a negative numSamples,
/// another dtype, or a row holding NaN or +inf or only -inf (no distribution).
val categorical: logits: Tensor -> numSamples: int -> dtype: DType -> seed: int option -> Tensor

/// `value` with its slices along axis 0 in a random order (`tf.random.shuffle`), any dtype; a scalar or a tensor with
/// at most one slice comes back unchanged. Not differentiable (TensorFlow's RandomShuffle is not): a constant.
val shuffle: seed: int option -> value: Tensor -> Tensor

/// Dropout (`tf.nn.dropout`, TensorFlow 2): each element is kept with probability 1 - rate and scaled by
/// 1 / (1 - rate), else set to 0; the keep flags are drawn over `noiseShape` (default x's shape) and broadcast to x's
/// shape (a dimension of 1 shares one flag along that axis). Computed as x * m with m the scaled mask as a constant, so
/// the derivative is m (the same mask) at every order and in both modes. rate = 0 returns x itself (no draw).
/// ArgumentException naming Dropout for a non-float x, a rate outside [0, 1) or NaN, or a noise shape that does not
/// broadcast to x's shape (its broadcast with x's shape must be x's shape).
val dropout: rate: float -> noiseShape: int[] option -> seed: int option -> x: Tensor -> Tensor
