namespace Engine.Tests.Kernels;

// Sum / max / min over the leading dim of a wide [R, C] tensor (a bias gradient) splits the columns over tasks: the
// result must equal the row-by-row float loop bit for bit, whatever the thread count.
public class ReduceColumnsTests
{
    [Theory]
    [InlineData(300, 1000)]   // columns not a multiple of the slice
    [InlineData(64, 1536)]
    [InlineData(2, 40000)]
    public void LeadingDimReductionEqualsTheSerialLoop(int R, int C)
    {
        var g = new Generator(R + C);
        var v = Enumerable.Range(0, R * C).Select(_ => (float)g.NextGaussian()).ToArray();
        v[5] = float.NaN;
        var x = Tensor.FromArray(v, R, C);
        var sum = new float[C]; var max = new float[C]; var min = new float[C];
        Array.Fill(max, float.NegativeInfinity); Array.Fill(min, float.PositiveInfinity);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
            {
                float a = v[r * C + c];
                sum[c] += a;
                max[c] = float.IsNaN(a) || float.IsNaN(max[c]) ? float.NaN : Math.Max(max[c], a);
                min[c] = float.IsNaN(a) || float.IsNaN(min[c]) ? float.NaN : Math.Min(min[c], a);
            }
        foreach (int threads in new[] { 1, 2, 5 })
        {
            int saved = CpuSettings.Threads;
            CpuSettings.Threads = threads;
            try
            {
                Assert.Equal(sum, x.Sum([0]).ToArray());
                Assert.Equal(max, x.Max(0).ToArray());
                Assert.Equal(min, x.Min(0).ToArray());
            }
            finally { CpuSettings.Threads = saved; }
        }
    }
}
