namespace Engine.Tests.Kernels;

/// <summary>Comparisons of fast kernels against their naive references, with a tolerance scaled by the sum length.</summary>
internal static class KernelAssert
{
    /// <summary>|got - want| &lt;= tol * (1 + |want|) element by element; the message names the first bad index.</summary>
    public static void Close(float[] want, float[] got, float tol, string what)
    {
        Assert.True(want.Length == got.Length, $"{what}: length {got.Length}, expected {want.Length}");
        for (int i = 0; i < want.Length; i++)
            if (!(Math.Abs(got[i] - want[i]) <= tol * (1 + Math.Abs(want[i]))))
                Assert.Fail($"{what}: element {i} is {got[i]}, expected {want[i]} (tol {tol})");
    }

    public static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }
}
