namespace Engine;

/// <summary>How a loss reduces its per-element values: mean, sum, none (unreduced), or batchmean (sum / batch size; KL divergence).</summary>
public enum Reduction { Mean, Sum, None, BatchMean }

/// <summary>
/// Functional forms of the layers and the losses, like torch.nn.functional: <c>F.CrossEntropy(logits, labels)</c>.
/// </summary>
public static partial class F
{
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        var y = input.Matmul(weight.T);
        return bias == null ? y : y.Add(bias);
    }

    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        input.Conv2d(weight, bias, new Conv2dArgs(stride, stride, padding, padding, dilation, dilation, groups));

    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        input.MaxPool2d(new Pool2dArgs(kernelSize, kernelSize, stride ?? kernelSize, stride ?? kernelSize, padding, padding,
            CeilMode: ceilMode, DilationH: dilation, DilationW: dilation));

    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) =>
        input.AvgPool2d(new Pool2dArgs(kernelSize, kernelSize, stride ?? kernelSize, stride ?? kernelSize, padding, padding, countIncludePad, ceilMode));

    public static Tensor Relu(Tensor x) => x.Relu();
    public static Tensor LeakyRelu(Tensor x, float negativeSlope = 0.01f) => x.LeakyRelu(negativeSlope);
    public static Tensor Gelu(Tensor x) => x.Gelu();
    public static Tensor Relu6(Tensor x) => x.Relu6();
    public static Tensor Hardtanh(Tensor x, float minVal = -1f, float maxVal = 1f) => x.Hardtanh(minVal, maxVal);
    public static Tensor Hardsigmoid(Tensor x) => x.Hardsigmoid();
    public static Tensor Hardswish(Tensor x) => x.Hardswish();
    public static Tensor Silu(Tensor x) => x.Silu();
    public static Tensor Sigmoid(Tensor x) => x.Sigmoid();
    public static Tensor Tanh(Tensor x) => x.Tanh();
    public static Tensor Softmax(Tensor x, int dim = -1) => x.Softmax(dim);
    public static Tensor LogSoftmax(Tensor x, int dim = -1) => x.LogSoftmax(dim);
    public static Tensor Embedding(Tensor indices, Tensor weight, int? paddingIdx = null) => Tensor.Embedding(indices, weight, paddingIdx);

    /// <summary>
    /// Inverted dropout: in training, each element is kept with probability 1 - p and scaled by 1/(1 - p);
    /// outside training the input is returned unchanged. The mask comes from gen (default <see cref="Generator.Default"/>).
    /// </summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? gen = null)
    {
        if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), $"dropout: probability must be in [0, 1], got {p}");
        if (!training || p == 0) return input;
        if (p == 1) return input.Mul(0f);
        var g = gen ?? Generator.Default;
        var m = new float[input.Numel];
        float scale = (float)(1 / (1 - p));
        for (int i = 0; i < m.Length; i++) m[i] = g.NextDouble() >= p ? scale : 0f;
        return input.Mul(Tensor.FromArray(m, input.Shape.ToArray(), input.Device));
    }

    /// <summary>
    /// Adaptive average pooling [N, C, H, W] to [N, C, oh, ow]: output cell i of a dim of size L averages
    /// [floor(i L / o), ceil((i + 1) L / o)). Divisible sizes run as one AvgPool2d; others as separable window means.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outputH, int outputW)
    {
        if (input.Rank != 4) throw new ShapeException($"adaptive_avg_pool2d: input must be [N,C,H,W], got {input.Shape}");
        if (outputH <= 0 || outputW <= 0) throw new ArgumentOutOfRangeException(nameof(outputH), $"adaptive_avg_pool2d: output size ({outputH}, {outputW}) must be positive");
        int H = input.Shape[2], W = input.Shape[3];
        if (H % outputH == 0 && W % outputW == 0)
        {
            int kh = H / outputH, kw = W / outputW;
            if (kh == 1 && kw == 1) return input;
            return input.AvgPool2d(new Pool2dArgs(kh, kw, kh, kw));
        }
        return AdaptiveMean(AdaptiveMean(input, 2, outputH), 3, outputW);
    }

    // Means over PyTorch's adaptive windows along one dim, concatenated.
    private static Tensor AdaptiveMean(Tensor x, int dim, int o)
    {
        int L = x.Shape[dim];
        if (L == o) return x;
        var parts = new Tensor[o];
        for (int i = 0; i < o; i++)
        {
            int s = (int)Math.Floor((double)i * L / o), e = (int)Math.Ceiling((double)(i + 1) * L / o);
            parts[i] = x.Narrow(dim, s, e - s).Mean(dim, keepDim: true);
        }
        return Tensor.Cat(parts, dim);
    }

    /// <summary>Nearest upsampling by an integer factor: [N, C, H, W] to [N, C, H s, W s] (the gradient sums each s x s block).</summary>
    public static Tensor UpsampleNearest(Tensor input, int scaleFactor)
    {
        if (input.Rank != 4) throw new ShapeException($"upsample_nearest: input must be [N,C,H,W], got {input.Shape}");
        if (scaleFactor < 1) throw new ArgumentOutOfRangeException(nameof(scaleFactor), $"upsample_nearest: scale factor must be >= 1, got {scaleFactor}");
        if (scaleFactor == 1) return input;
        int N = input.Shape[0], C = input.Shape[1], H = input.Shape[2], W = input.Shape[3], s = scaleFactor;
        return input.Reshape(N, C, H, 1, W, 1).Expand(N, C, H, s, W, s).Reshape(N, C, H * s, W * s);
    }

    internal static Tensor Reduce(Tensor loss, Reduction reduction, string op) => reduction switch
    {
        Reduction.None => loss,
        Reduction.Sum => loss.Sum(),
        Reduction.Mean => loss.Mean(),
        Reduction.BatchMean => loss.Sum().Div(loss.Rank == 0 ? 1 : loss.Shape[0]),
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), $"{op}: unknown reduction {reduction}"),
    };
}
