namespace Engine;

/// <summary>Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh (default) or relu.</summary>
public sealed class RNN : RecurrentBase
{
    public string Nonlinearity { get; }

    public RNN(int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bias = true, bool batchFirst = false, double dropout = 0)
        : base(1, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout)
    {
        if (nonlinearity is not ("tanh" or "relu")) throw new ArgumentException($"RNN: nonlinearity must be 'tanh' or 'relu', got '{nonlinearity}'");
        Nonlinearity = nonlinearity;
    }

    /// <summary>Returns output [T, B, H] (or [B, T, H]) and the final state hN [numLayers, B, H].</summary>
    public (Tensor Output, Tensor HN) Forward(Tensor input, Tensor? h0)
    {
        var (o, h, _) = Run(input, h0, null, false);
        return (o, h);
    }

    /// <summary>The output sequence only.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).Output;

    private protected override (Tensor h, Tensor? c) Step(Tensor xg, Tensor hg, Tensor h, Tensor? c)
    {
        var pre = xg.Add(hg);
        return (Nonlinearity == "tanh" ? pre.Tanh() : pre.Relu(), null);
    }
}

/// <summary>
/// LSTM with gates (i, f, g, o) in PyTorch's order, run by the fused cell <c>Tensor.LstmCell</c>:
/// c_t = sig(f) c_{t-1} + sig(i) tanh(g), h_t = sig(o) tanh(c_t).
/// </summary>
public sealed class LSTM : RecurrentBase
{
    public LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0)
        : base(4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout) { }

    /// <summary>Returns output [T, B, H] (or [B, T, H]) and the final (hN, cN), each [numLayers, B, H]. state null means zeros.</summary>
    public (Tensor Output, (Tensor H, Tensor C) State) Forward(Tensor input, (Tensor H, Tensor C)? state)
    {
        var (o, h, c) = Run(input, state?.H, state?.C, true);
        return (o, (h, c!));
    }

    public override Tensor Forward(Tensor input) => Forward(input, null).Output;

    private protected override (Tensor h, Tensor? c) Step(Tensor xg, Tensor hg, Tensor h, Tensor? c)
    {
        var (hn, cn) = Tensor.LstmCell(xg.Add(hg), c!);
        return (hn, cn);
    }
}

/// <summary>
/// GRU in PyTorch's formulation, run by the fused cell <c>Tensor.GruCell</c>: r = sig(xr + hr),
/// z = sig(xz + hz), n = tanh(xn + r * hn), h_t = (1 - z) n + z h_{t-1} (hn includes b_hn).
/// </summary>
public sealed class GRU : RecurrentBase
{
    public GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0)
        : base(3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout) { }

    /// <summary>Returns output [T, B, H] (or [B, T, H]) and hN [numLayers, B, H].</summary>
    public (Tensor Output, Tensor HN) Forward(Tensor input, Tensor? h0)
    {
        var (o, h, _) = Run(input, h0, null, false);
        return (o, h);
    }

    public override Tensor Forward(Tensor input) => Forward(input, null).Output;

    private protected override (Tensor h, Tensor? c) Step(Tensor xg, Tensor hg, Tensor h, Tensor? c) => (Tensor.GruCell(xg, hg, h), null);
}
