namespace Engine;

/// <summary>Which fan a Kaiming initialization keeps the variance of.</summary>
public enum FanMode { FanIn, FanOut }

/// <summary>
/// Weight initialization, like torch.nn.init. Every function fills a tensor in place (outside
/// autograd) from <see cref="Generator.Default"/> unless given a generator, and returns it.
/// </summary>
/// <remarks>
/// Fans of a weight [out, in, k...]: fanIn = in * prod(k), fanOut = out * prod(k) (PyTorch's
/// _calculate_fan_in_and_fan_out). Gains follow torch.nn.init.calculate_gain.
/// </remarks>
public static class Init
{
    /// <summary>
    /// The recommended gain for a nonlinearity: linear, conv*, sigmoid: 1; tanh: 5/3; relu: sqrt 2;
    /// leaky_relu: sqrt(2 / (1 + a^2)) with a = param (0.01 when null); selu: 3/4.
    /// </summary>
    public static double CalculateGain(string nonlinearity, double? param = null) => nonlinearity switch
    {
        "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d" or "sigmoid" => 1.0,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        "selu" => 3.0 / 4,
        _ => throw new ArgumentException($"calculate_gain: unsupported nonlinearity '{nonlinearity}' (linear, conv2d, sigmoid, tanh, relu, leaky_relu, selu)"),
    };

    /// <summary>(fanIn, fanOut) of a weight of rank 2 or more: [out, in, k...].</summary>
    public static (int FanIn, int FanOut) Fans(Tensor t)
    {
        if (t.Rank < 2) throw new ShapeException($"init: fan in and fan out cannot be computed for a tensor of shape {t.Shape} (needs at least 2 dims)");
        int receptive = 1;
        for (int d = 2; d < t.Rank; d++) receptive *= t.Shape[d];
        return (t.Shape[1] * receptive, t.Shape[0] * receptive);
    }

    /// <summary>U(low, high).</summary>
    public static Tensor Uniform(Tensor t, double low = 0, double high = 1, Generator? gen = null)
    {
        var g = gen ?? Generator.Default;
        var v = new float[t.Numel];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(low + (high - low) * g.NextDouble());
        return Set(t, v);
    }

    /// <summary>N(mean, std^2).</summary>
    public static Tensor Normal(Tensor t, double mean = 0, double std = 1, Generator? gen = null)
    {
        var g = gen ?? Generator.Default;
        var v = new float[t.Numel];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(mean + std * g.NextGaussian());
        return Set(t, v);
    }

    public static Tensor Constant(Tensor t, float value)
    {
        using (Autograd.NoGrad()) t.Fill_(value);
        return t;
    }

    public static Tensor Zeros(Tensor t) => Constant(t, 0f);
    public static Tensor Ones(Tensor t) => Constant(t, 1f);

    /// <summary>Glorot uniform: U(-b, b), b = gain * sqrt(6 / (fanIn + fanOut)).</summary>
    public static Tensor XavierUniform(Tensor t, double gain = 1, Generator? gen = null)
    {
        var (fi, fo) = Fans(t);
        double b = gain * Math.Sqrt(6.0 / (fi + fo));
        return Uniform(t, -b, b, gen);
    }

    /// <summary>Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fanIn + fanOut)).</summary>
    public static Tensor XavierNormal(Tensor t, double gain = 1, Generator? gen = null)
    {
        var (fi, fo) = Fans(t);
        return Normal(t, 0, gain * Math.Sqrt(2.0 / (fi + fo)), gen);
    }

    /// <summary>
    /// He uniform: U(-b, b), b = gain * sqrt(3 / fan), gain = CalculateGain(nonlinearity, a).
    /// With a = sqrt 5 and leaky_relu (PyTorch's Linear and Conv default) b = 1 / sqrt(fanIn).
    /// </summary>
    public static Tensor KaimingUniform(Tensor t, double a = 0, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? gen = null)
    {
        double b = CalculateGain(nonlinearity, a) * Math.Sqrt(3.0 / Fan(t, mode));
        return Uniform(t, -b, b, gen);
    }

    /// <summary>He normal: N(0, std^2), std = gain / sqrt(fan).</summary>
    public static Tensor KaimingNormal(Tensor t, double a = 0, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? gen = null) =>
        Normal(t, 0, CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(t, mode)), gen);

    private static int Fan(Tensor t, FanMode mode)
    {
        var (fi, fo) = Fans(t);
        int f = mode == FanMode.FanIn ? fi : fo;
        if (f == 0) throw new ShapeException($"init: tensor of shape {t.Shape} has a zero fan");
        return f;
    }

    /// <summary>
    /// A (semi-)orthogonal matrix times gain: the weight is viewed as [rows, cols] (rows = dim 0);
    /// Q of the QR decomposition of a standard normal matrix, signs fixed so diag(R) > 0 (PyTorch's recipe).
    /// Rows are orthonormal when rows &lt;= cols, columns otherwise.
    /// </summary>
    public static Tensor Orthogonal(Tensor t, double gain = 1, Generator? gen = null)
    {
        if (t.Rank < 2) throw new ShapeException($"orthogonal init: needs at least 2 dims, got {t.Shape}");
        var g = gen ?? Generator.Default;
        int rows = t.Shape[0], cols = t.Numel / rows;
        // Work on a tall matrix A [m, n] (m >= n): the transpose when the weight is wide.
        bool wide = rows < cols;
        int m = wide ? cols : rows, n = wide ? rows : cols;
        var a = new double[m, n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) a[i, j] = g.NextGaussian();
        // Modified Gram-Schmidt: columns of A become Q's; R's diagonal (the norms) is positive,
        // which is the same sign convention as q * sign(diag(r)).
        for (int j = 0; j < n; j++)
        {
            for (int k = 0; k < j; k++)
            {
                double dot = 0;
                for (int i = 0; i < m; i++) dot += a[i, k] * a[i, j];
                for (int i = 0; i < m; i++) a[i, j] -= dot * a[i, k];
            }
            double norm = 0;
            for (int i = 0; i < m; i++) norm += a[i, j] * a[i, j];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < m; i++) a[i, j] /= norm;
        }
        var v = new float[t.Numel];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                v[r * cols + c] = (float)(gain * (wide ? a[c, r] : a[r, c]));
        return Set(t, v);
    }

    private static Tensor Set(Tensor t, float[] v)
    {
        using var _ = Autograd.NoGrad();
        using var src = Tensor.FromArray(v, t.Shape.ToArray(), t.Device);
        t.Copy_(src);
        return t;
    }
}
