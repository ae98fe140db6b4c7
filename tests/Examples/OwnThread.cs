namespace Nabla.Examples;

/// <summary>Runs a test body on a thread of its own: tapes record per thread, so a body that leaks a tape (or needs
/// a thread that never had one) cannot disturb, or be disturbed by, other tests.</summary>
internal static class OwnThread
{
    internal static void Run(Action body)
    {
        Exception? failure = null;
        var t = new Thread(() =>
        {
            try { body(); }
            catch (Exception e) { failure = e; }
        });
        t.Start();
        t.Join();
        if (failure != null) throw new Xunit.Sdk.XunitException(failure.ToString());
    }
}
