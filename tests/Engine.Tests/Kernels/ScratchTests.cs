using Engine.Kernels.Conv;
using Engine.Kernels.Cpu;

namespace Engine.Tests.Kernels;

// The kernels' per-thread scratch arrays: reused while big enough, replaced when a call needs more, and after a Trim
// reallocated at the size the next call needs, the old array left to the GC (HeldBytes falls).
public class ScratchTests
{
    [Fact]
    public void ASlotIsReusedGrownAndShrunkByTrim()
    {
        float[]? a = null, b = null, c = null, d = null;
        long before = 0, afterTrim = 0;
        OnFreshThread(() =>
        {
            a = Scratch.Get(Scratch.Col, 1 << 20);
            b = Scratch.Get(Scratch.Col, 1000);                // fits: the same array
            c = Scratch.Get(Scratch.Col, 2 << 20);             // grows
            before = Scratch.HeldBytes;
            CpuBackend.TrimScratch();
            d = Scratch.Get(Scratch.Col, 1000);                // after Trim: a small array again
            c = null; a = null; b = null;
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            afterTrim = Scratch.HeldBytes;
        });
        Assert.True(d!.Length < 1 << 20, $"after Trim the slot holds {d.Length} floats");
        Assert.True(afterTrim <= before - (2L << 20) * sizeof(float) + (1L << 20) * sizeof(float),
            $"held bytes {before} before Trim, {afterTrim} after (the 8 MiB array should be gone)");
    }

    [Fact]
    public void ReusedAndGrownArraysBehave()
    {
        OnFreshThread(() =>
        {
            var a = Scratch.Get(Scratch.Plane, 5000);
            Assert.Same(a, Scratch.Get(Scratch.Plane, 4000));
            var b = Scratch.Get(Scratch.Plane, 6000);
            Assert.NotSame(a, b);
            Assert.True(b.Length >= 6000);
            var d = Scratch.Doubles(100);
            d[3] = 7;
            Assert.Equal(0.0, Scratch.Doubles(50)[3]);      // cleared over the asked range
        });
    }

    /// <summary>Runs body on a new thread (fresh per-thread slots) and rethrows what it threw on the test's thread.</summary>
    private static void OnFreshThread(Action body)
    {
        Exception? error = null;
        var t = new Thread(() => { try { body(); } catch (Exception e) { error = e; } });
        t.Start(); t.Join();
        if (error != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
    }
}
