namespace Nabla;

// GradientTape: why a gradient is missing (the message of UnconnectedGradients.Raise).
public sealed partial class GradientTape
{
    /// <summary>Why <paramref name="source"/> got no gradient from <paramref name="targets"/>: the text of the exception that
    /// <see cref="UnconnectedGradients.Raise"/> throws (<paramref name="onTape"/>: the source has a node on this tape).</summary>
    private string WhyUnconnected(string op, IReadOnlyList<Tensor> targets, Tensor source, bool onTape)
    {
        if (!source.DType.IsFloat())
            return $"{op}: the source has dtype {source.DType}, which is not differentiable; only Float32 and Float64 sources get gradients (use TF.Cast to a float dtype before the computation).";
        if (!onTape)
        {
            var msg = $"{op}: the source was never watched by this tape and was not computed from a watched tensor while it recorded; " +
                      "call tape.Watch(source) before using it (trainable variables are watched when read while the tape records).";
            if (scope.StopRecordings > 0) msg += " Variables read only inside StopRecording() are not watched.";
            return msg;
        }
        var reasons = new List<string>();
        foreach (var t in targets)
        {
            var origin = t.Origin;
            if (!t.DType.IsFloat())
                reasons.Add($"the target has dtype {t.DType}, which is not differentiable (an integer or bool result carries no gradient; compute the target in Float32 or Float64)");
            else if (origin == null)
                reasons.Add("the target was computed outside the recording: before this tape was created (values computed before a tape exists are constants to it), or on another thread, where this tape does not record");
            else if (!origin.Contains(scope))
            {
                if (origin.Seq < scope.StartSeq)
                    reasons.Add("the target was computed outside the recording: before this tape started recording (before it was created, or before Reset())");
                else
                    reasons.Add(scope.GapAt(origin.Seq) switch
                    {
                        Scope.Gap.Stopped => "the target was computed inside StopRecording(), where this tape does not record (the path is cut by StopRecording)",
                        Scope.Gap.Disposed => "the target was computed outside the recording: after this tape stopped recording (after Dispose, the end of its using block)",
                        _ => "the target was computed outside the recording, on another thread (a tape records only on the thread that created it)",
                    });
            }
        }
        if (reasons.Count == 0)
        {
            if (scope.StopGradientCuts > 0)
                reasons.Add("the path from the source is cut by TF.StopGradient, which was applied to a value recorded on this tape");
            if (scope.StopRecordings > 0)
                reasons.Add("the path may be cut by StopRecording(): values computed inside it are constants to this tape");
            if (scope.ReadOuts > 0)
                reasons.Add("the path may be cut by a value read out with ToDouble/ToArray and fed back in (e.g. TF.Constant(y.ToDouble())): plain numbers carry no gradient");
            if (reasons.Count == 0)
                reasons.Add("the target does not use the source, or uses it only through values computed outside the recording (before Watch, or after Dispose)");
        }
        return $"{op}: the target does not depend on the source through operations recorded on this tape; " +
               string.Join("; ", reasons.Distinct()) + ".";
    }
}
