using static Engine.Tests.Ilgpu.IlgpuTestKit;

namespace Engine.Tests.Ilgpu;

// Host <-> device copies while other threads allocate and force compacting collections. ILGPU's `ref T` copy overloads
// take the raw address of the managed array (Unsafe.AsPointer) without pinning it: a GC that moved the array mid-copy
// made the upload read, or the download write, the array's old place in the GC heap. The download then came back
// with zeros (the ILGPU GEMM "all-zero tile", issue 14) and the write landed in whatever object lived there since
// (the test host's crash). The engine now copies through span overloads that pin for the length of the copy.
[Collection("ilgpu")]
public class CopyUnderGcTests
{
    [Fact]
    public void UploadsAndDownloadsSurviveCompactingCollections()
    {
        bool stop = false;
        // Two threads keep the GC busy: garbage of many sizes, and blocking compacting collections of every generation.
        var churn = new Thread(() =>
        {
            var keep = new List<float[]>();
            var g = new Random(1);
            while (!Volatile.Read(ref stop))
            {
                keep.Add(new float[g.Next(1, 50_000)]);
                if (keep.Count > 64) keep.RemoveRange(0, 32);
            }
        });
        var compact = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                Thread.Sleep(1);
            }
        });
        churn.Start(); compact.Start();
        try
        {
            for (int round = 0; round < 1000; round++)
            {
                int n = 1000 + round * 97 % 20_000;             // small-object and large-object heap sizes
                var v = Values(n, round);
                var t = Tensor.FromArray(v, [n], Dev);           // upload from an unpinned array
                var back = t.ToArray();                          // download into a fresh unpinned array
                t.Dispose();
                for (int i = 0; i < n; i++)
                    if (BitConverter.SingleToInt32Bits(back[i]) != BitConverter.SingleToInt32Bits(v[i]))
                        Assert.Fail($"round {round}, n {n}: element {i} came back as {back[i]:G9}, uploaded {v[i]:G9}");
                var ints = Enumerable.Range(round, n).ToArray();
                var ti = Tensor.Create(Gpu.Upload(ints), Layout.Contiguous(new Shape(n)));
                Assert.Equal(ints, ti.ToIntArray());
                ti.Dispose();
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            churn.Join(); compact.Join();
        }
    }
}
