namespace Engine;

/// <summary>
/// Shared machinery of <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/>: numLayers stacked
/// unidirectional layers, parameters named as PyTorch's (weight_ih_l{k} [G*H, in], weight_hh_l{k} [G*H, H],
/// bias_ih_l{k}, bias_hh_l{k} [G*H]; G = 1, 4, 3 gates), all initialized U(-1/sqrt(H), 1/sqrt(H)).
/// </summary>
/// <remarks>
/// Per layer, the input projection of every timestep is one matmul ([T*B, in] x [in, G*H]); only
/// the recurrent product h W_hh^T runs step by step. Shapes: T time, B batch, H hidden size;
/// input [T, B, in] or [B, T, in] with batchFirst; states [numLayers, B, H].
/// </remarks>
public abstract class RecurrentBase : Module
{
    public int InputSize { get; }
    public int HiddenSize { get; }
    public int NumLayers { get; }
    public bool HasBias { get; }
    public bool BatchFirst { get; }
    /// <summary>Dropout on the outputs of every layer but the last, in training.</summary>
    public double DropoutP { get; }

    private readonly List<(Tensor wih, Tensor whh, Tensor? bih, Tensor? bhh)> _layers = new();

    protected RecurrentBase(int gates, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst, double dropout)
    {
        if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), $"{GetType().Name}(inputSize {inputSize}, hiddenSize {hiddenSize}, numLayers {numLayers}): sizes must be positive");
        if (dropout < 0 || dropout > 1) throw new ArgumentOutOfRangeException(nameof(dropout), $"{GetType().Name}: dropout must be in [0, 1], got {dropout}");
        (InputSize, HiddenSize, NumLayers, HasBias, BatchFirst, DropoutP) = (inputSize, hiddenSize, numLayers, bias, batchFirst, dropout);
        double k = 1 / Math.Sqrt(hiddenSize);
        for (int l = 0; l < numLayers; l++)
        {
            int inp = l == 0 ? inputSize : hiddenSize;
            var wih = RegisterParameter($"weight_ih_l{l}", Tensor.Zeros(gates * hiddenSize, inp));
            var whh = RegisterParameter($"weight_hh_l{l}", Tensor.Zeros(gates * hiddenSize, hiddenSize));
            var bih = bias ? RegisterParameter($"bias_ih_l{l}", Tensor.Zeros(gates * hiddenSize)) : null;
            var bhh = bias ? RegisterParameter($"bias_hh_l{l}", Tensor.Zeros(gates * hiddenSize)) : null;
            _layers.Add((wih, whh, bih, bhh));
        }
        foreach (var p in Parameters()) Init.Uniform(p, -k, k);
    }

    /// <summary>Runs every layer over the sequence. h0/c0 [numLayers, B, H] or null (zeros); c only for LSTM.</summary>
    private protected (Tensor output, Tensor hN, Tensor? cN) Run(Tensor input, Tensor? h0, Tensor? c0, bool lstm)
    {
        if (input.Rank != 3 || input.Shape[2] != InputSize)
            throw new ShapeException($"{GetType().Name}: input {input.Shape} must be {(BatchFirst ? "[B, T, " : "[T, B, ")}{InputSize}]");
        var x = BatchFirst ? input.Transpose(0, 1) : input;                       // [T, B, in]
        int T = x.Shape[0], B = x.Shape[1], H = HiddenSize;
        CheckState(h0, B, "h0"); CheckState(c0, B, "c0");
        var hs = new List<Tensor>(); var cs = new List<Tensor>();
        for (int l = 0; l < NumLayers; l++)
        {
            var (wih, whh, bih, bhh) = _layers[l];
            int gh = wih.Shape[0];
            // Input projection for all timesteps at once: [T*B, in] x [in, G*H] -> [T, B, G*H].
            var xg = x.Reshape(T * B, x.Shape[2]).Matmul(wih.T);
            if (bih != null) xg = xg.Add(bih);
            xg = xg.Reshape(T, B, gh);
            var h = h0?.Select(0, l) ?? Tensor.Zeros(new Shape(B, H), input.Device);
            var c = lstm ? c0?.Select(0, l) ?? Tensor.Zeros(new Shape(B, H), input.Device) : null;
            var outs = new Tensor[T];
            for (int t = 0; t < T; t++)
            {
                var hg = h.Matmul(whh.T);                                            // [B, G*H]
                if (bhh != null) hg = hg.Add(bhh);
                (h, c) = Step(xg.Select(0, t), hg, h, c);
                outs[t] = h;
            }
            hs.Add(h); if (c != null) cs.Add(c);
            x = Tensor.Stack(outs, 0);                                               // [T, B, H]
            if (l < NumLayers - 1 && DropoutP > 0) x = F.Dropout(x, DropoutP, Training);
        }
        var output = BatchFirst ? x.Transpose(0, 1) : x;
        return (output, Tensor.Stack(hs, 0), lstm ? Tensor.Stack(cs, 0) : null);
    }

    /// <summary>One timestep: xg = x_t W_ih^T + b_ih and hg = h W_hh^T + b_hh, both [B, G*H]; returns the new (h, c).</summary>
    private protected abstract (Tensor h, Tensor? c) Step(Tensor xg, Tensor hg, Tensor h, Tensor? c);

    private void CheckState(Tensor? s, int batch, string name)
    {
        if (s != null && (s.Rank != 3 || s.Shape[0] != NumLayers || s.Shape[1] != batch || s.Shape[2] != HiddenSize))
            throw new ShapeException($"{GetType().Name}: initial state {name} {s.Shape} must be [numLayers, B, H] = [{NumLayers}, {batch}, {HiddenSize}]");
    }

    public override string ExtraRepr() => $"{InputSize}, {HiddenSize}, numLayers={NumLayers}, batchFirst={BatchFirst}" + (HasBias ? "" : ", bias=False") + (DropoutP > 0 ? $", dropout={DropoutP}" : "");
}
