/// What a tape, an accumulator or a transform does with the core's perturbation levels, in one place: making a value
/// a reverse leaf or a dual at a tag, taking levels off a value, finding a value's node at a tag, and the sweeps that
/// turn a recording into gradients and Jacobians. The C# facade calls this module and never compares levels or walks
/// a value's tower itself; which tags count as active (the scopes active on a thread) it passes as a predicate
/// `isActive: int64 -> bool`, made once per set of scopes, so the calls on every operation allocate nothing.
///
/// A value's tower: a plain value carries no level; a reverse node or a dual of tag `t` holds the value one level down
/// (`Tensor.Primal`), whose levels are all older than `t` (inner perturbations sit outside outer ones).
module Nabla.Core.Tape

open Nabla.Core

// ------------------------------------------------------------------------- tags

/// <summary>A fresh perturbation tag for a new scope (a tape, an accumulator, a transform's call), larger than every
/// tag drawn before: a newer tag denotes an inner perturbation. Thread-safe.</summary>
val newTag: unit -> int64

/// <summary>The tag a scope of <paramref name="tag"/> takes when it restarts (a tape's <c>Reset</c>): larger than
/// <paramref name="tag"/> and smaller than every tag drawn after it by <c>newTag</c>, so the scope keeps its place
/// among the scopes made before and after it.</summary>
val restartTag: tag: int64 -> int64

// ------------------------------------------------------------------------- levels

/// <summary>True when <paramref name="t"/> carries no perturbation (a plain value). Allocates nothing.</summary>
val isPlain: t: Tensor -> bool

/// <summary>True when <paramref name="t"/> carries exactly one perturbation, of <paramref name="tag"/>, over a plain
/// value: what an operation makes while one scope (the innermost active one, of <paramref name="tag"/>) perturbs its
/// operands, the common case a new handle can keep as it is. Allocates nothing.</summary>
val isOnlyAt: tag: int64 -> t: Tensor -> bool

/// <summary>True when <paramref name="t"/> carries a perturbation of <paramref name="tag"/> at any depth of its
/// tower. Allocates nothing.</summary>
val carries: tag: int64 -> t: Tensor -> bool

/// <summary><paramref name="t"/> without any perturbation: <paramref name="t"/> itself when it is plain, else its
/// value at the bottom of the tower.</summary>
val plain: t: Tensor -> Tensor

/// <summary>What an operation sees of <paramref name="t"/>: <paramref name="t"/> stepped down through its outer
/// levels whose tags <paramref name="isActive"/> rejects, to the first level it accepts (or to the plain value).
/// Levels below an accepted one are left as they are. Allocates nothing (beyond the value below an inline scalar
/// node, when one is stepped through).</summary>
/// <example><c>peel isActive v</c> on every operand of an operation, with <c>isActive</c> the thread's scopes.</example>
val peel: isActive: (int64 -> bool) -> t: Tensor -> Tensor

/// <summary>What the active scopes older than <paramref name="tag"/> give <paramref name="t"/>: <paramref name="t"/>
/// stepped down through its outer levels whose tag is <paramref name="tag"/> or newer, or rejected by
/// <paramref name="isActive"/>. The value a new leaf of <paramref name="tag"/> wraps.</summary>
val peelBelow: tag: int64 -> isActive: (int64 -> bool) -> t: Tensor -> Tensor

/// <summary><paramref name="t"/> without the levels whose tags <paramref name="isActive"/> rejects, at every depth of
/// its tower: a rejected level is replaced by the value below it; a kept reverse node is rebuilt over its stripped
/// value (same tag, operation, operands and node id, so sweeps still meet it), a kept dual over its stripped primal
/// and tangent. The operands a node holds are left as they are. Returns <paramref name="t"/> itself when nothing is
/// removed (then nothing is allocated). What a new handle made under a set of scopes holds.</summary>
val strip: isActive: (int64 -> bool) -> t: Tensor -> Tensor

/// <summary>The distinct tags of the towers of <paramref name="values"/> that <paramref name="isActive"/> rejects, in
/// order (outermost first in each value): a transform's fresh tag, which the facade makes active while the user's
/// function runs.</summary>
val inactiveTags: isActive: (int64 -> bool) -> values: Tensor[] -> int64[]

/// <summary>Calls <paramref name="action"/> with the tag and the node of each reverse level of <paramref name="t"/>'s
/// tower, outermost first (the nodes a new handle holds, which their tapes register so that they can cut them loose
/// when they release their recording). Allocates nothing itself.</summary>
val iterNodes: action: (int64 -> Tensor -> unit) -> t: Tensor -> unit

// ------------------------------------------------------------------------- watching

/// <summary>Makes <paramref name="x"/> a fresh reverse-mode leaf of <paramref name="tag"/> (a watched value): its
/// gradients are what <c>gradients</c> at <paramref name="tag"/> returns for it.</summary>
val watch: tag: int64 -> x: Tensor -> Tensor

/// <summary>Makes <paramref name="x"/> a dual number of <paramref name="tag"/> with tangent <paramref name="v"/>
/// (forward mode; <c>tangentAt</c> reads the tangent of a result).</summary>
val dual: tag: int64 -> x: Tensor -> v: Tensor -> Tensor

/// <summary>When <paramref name="t"/>'s outermost level is <paramref name="tag"/>: <paramref name="t"/> rebuilt over
/// <paramref name="primal"/> (a leaf or a dual keeps its tag, tangent and node id, so what was recorded on it before
/// still meets what is recorded after; any other node is returned as it is). None when <paramref name="t"/>'s
/// outermost level is not <paramref name="tag"/>. Used when an older scope starts watching a value that a newer
/// scope already perturbs: the newer one's value is rebuilt over the older one's leaf.</summary>
val rewrap: tag: int64 -> primal: Tensor -> t: Tensor -> Tensor option

/// <summary>The reverse node of <paramref name="tag"/> inside <paramref name="t"/> (<paramref name="t"/> itself, or
/// found by stepping down through newer levels), if any: whether <paramref name="t"/> is recorded at
/// <paramref name="tag"/>.</summary>
val nodeAt: tag: int64 -> t: Tensor -> Tensor option

/// <summary>The distinct reverse nodes of <paramref name="tag"/> inside <paramref name="values"/> (by node id, in
/// order of first appearance; values with none are skipped): the nodes that stand for a gradient source.</summary>
val nodesAt: tag: int64 -> values: Tensor[] -> Tensor[]

/// <summary>The tangent that the dual number of <paramref name="tag"/> inside <paramref name="t"/> holds (found by
/// stepping down through newer levels), if any.</summary>
val tangentAt: tag: int64 -> t: Tensor -> Tensor option

/// <summary>Cuts the reverse node <paramref name="node"/> loose from its graph in place, once the scope of its tag
/// has released its recording (no sweep at that tag will run again): its operation and operands are cleared, so it
/// becomes a leaf that holds its value, and the graph is no longer reachable through it. Nothing is allocated. Safe
/// because only a sweep at the node's tag follows those links. False when the runtime does not allow it (the node is
/// then left as it is).</summary>
val cut: node: Tensor -> bool

// ------------------------------------------------------------------------- sweeps

/// <summary>The gradients of several targets with respect to several sources, from one reverse sweep per target.
/// <paramref name="targets"/> are the targets' values (a target with no node of <paramref name="tag"/> contributes
/// nothing); <paramref name="seeds"/> their output gradients, one per target (None: ones of the target's shape;
/// a seed is cast to its target's dtype); <paramref name="sources"/> the nodes of <paramref name="tag"/> that stand
/// for each source (see <c>nodesAt</c>). The result holds, per source, the sum over targets and over its nodes
/// of the adjoints that reached them, or None when none did. With <paramref name="record"/> the sweeps are themselves
/// recorded at <paramref name="tag"/> (<c>Reverse.sweepRecorded</c>), so the gradients can be differentiated again
/// at that level.</summary>
/// <example><c>gradients tag [| y |] [| None |] [| nodesAt tag [| x |] |] false</c> is <c>[| Some dy/dx |]</c>.</example>
val gradients:
    tag: int64 -> targets: Tensor[] -> seeds: Tensor option[] -> sources: Tensor[][] -> record: bool -> Tensor option[]

/// <summary>The Jacobian of the recorded <paramref name="target"/> with respect to the source that the nodes
/// <paramref name="sources"/> of <paramref name="tag"/> stand for, in <paramref name="dtype"/>: the sum over those
/// nodes that the target depends on of each one's Jacobian, shaped <c>target.Shape ++ source.Shape</c>. With
/// <paramref name="batch"/> the first axes of both are a batch axis of equal length whose rows are independent, and
/// the result is <c>[b] ++ target.Shape[1..] ++ source.Shape[1..]</c> (TensorFlow's <c>batch_jacobian</c>). None when
/// the target is not a float value, has no node of <paramref name="tag"/>, or depends on none of the nodes.
///
/// Work: one reverse sweep when the target depends on a source element by element (the Jacobian is diagonal);
/// otherwise one reverse sweep per target (row) element or one forward sweep over the recording per source (row)
/// element, whichever is fewer. With <paramref name="record"/> the sweeps are themselves recorded at
/// <paramref name="tag"/> (reverse sweeps only), so the Jacobian can be differentiated again at that level.</summary>
/// <exception cref="System.ArgumentException">The Jacobian has more elements than an array can hold.</exception>
val jacobian:
    tag: int64 -> dtype: DType -> target: Tensor -> sources: Tensor[] -> batch: bool -> record: bool -> Tensor option
