using Engine.Optim.Linalg;

namespace Engine.Tests.Optim;

/// <summary>SOAP's host linear algebra: the symmetric eigendecomposition and the QR factor, checked by their defining identities.</summary>
public class LinalgTests
{
    private static double[] RandomSymmetric(int n, int seed, int rank = -1)
    {
        var rng = new Random(seed);
        int k = rank < 0 ? n : rank;
        var g = new double[n * k];
        for (int i = 0; i < g.Length; i++) g[i] = rng.NextDouble() * 2 - 1;
        var a = new double[n * n];     // G Gᵀ: symmetric, positive semi-definite, of the given rank
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int l = 0; l < k; l++) a[i * n + j] += g[i * k + l] * g[j * k + l];
        return a;
    }

    [Theory]
    [InlineData(1, 1, -1)]
    [InlineData(4, 2, -1)]
    [InlineData(7, 3, 3)]       // rank deficient: zero eigenvalues
    [InlineData(40, 4, -1)]
    public void EigenvectorsDiagonalizeTheMatrix(int n, int seed, int rank)
    {
        var a = RandomSymmetric(n, seed, rank);
        var (values, v) = SymmetricEigen.Decompose(a, n);
        for (int j = 1; j < n; j++) Assert.True(values[j - 1] <= values[j], $"eigenvalues not ascending at {j}: {values[j - 1]} > {values[j]}");
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double av = 0, vtv = 0;
                for (int k = 0; k < n; k++) { av += a[i * n + k] * v[k * n + j]; vtv += v[k * n + i] * v[k * n + j]; }
                Assert.True(Math.Abs(av - values[j] * v[i * n + j]) < 1e-9 * Math.Max(1, Math.Abs(values[^1])), $"(A v)[{i},{j}] = {av}, λ v = {values[j] * v[i * n + j]}");
                Assert.True(Math.Abs(vtv - (i == j ? 1 : 0)) < 1e-10, $"(VᵀV)[{i},{j}] = {vtv}");
            }
    }

    [Fact]
    public void EigenvaluesOfAKnownMatrix()
    {
        // [[2, 1], [1, 2]]: eigenvalues 1 and 3, eigenvectors (1, -1)/√2 and (1, 1)/√2
        var (values, v) = SymmetricEigen.Decompose([2, 1, 1, 2], 2);
        Assert.Equal(1, values[0], 12);
        Assert.Equal(3, values[1], 12);
        Assert.Equal(0, v[0] + v[2], 12);            // first column ∝ (1, -1)
        Assert.Equal(Math.Sqrt(0.5), Math.Abs(v[1]), 12);
    }

    [Theory]
    [InlineData(3, 3, 1)]
    [InlineData(6, 4, 2)]
    [InlineData(30, 30, 3)]
    public void QIsOrthonormalAndMakesRUpperTriangular(int m, int n, int seed)
    {
        var rng = new Random(seed);
        var a = Enumerable.Range(0, m * n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var q = Qr.Q(a, m, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double qtq = 0, r = 0;
                for (int k = 0; k < m; k++) { qtq += q[k * n + i] * q[k * n + j]; r += q[k * n + i] * a[k * n + j]; }
                Assert.True(Math.Abs(qtq - (i == j ? 1 : 0)) < 1e-12, $"(QᵀQ)[{i},{j}] = {qtq}");
                if (i > j) Assert.True(Math.Abs(r) < 1e-12, $"R[{i},{j}] = {r} below the diagonal");
            }
    }

    [Fact]
    public void BadShapesAreNamed()
    {
        Assert.Contains("2x2", Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose([1, 2, 3], 2)).Message);
        Assert.Contains("rows", Assert.Throws<ArgumentException>(() => Qr.Q(new double[6], 2, 3)).Message);
    }
}
