namespace Engine;

/// <summary>
/// Shared machinery of <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/>: numLayers stacked layers,
/// one or two directions, parameters named as PyTorch's (weight_ih_l{k}[_reverse] [G*H, in], weight_hh_l{k}[_reverse]
/// [G*H, H], bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] [G*H]; G = 1, 4, 3 gates), all initialized U(-1/sqrt(H), 1/sqrt(H)).
/// </summary>
/// <remarks>
/// Per layer and direction, the input projection of every timestep is one matmul ([T*B, in] x [in, G*H]); only
/// the recurrent product h W_hh^T runs step by step. Shapes: T time, B batch, H hidden size, D = 2 when
/// bidirectional else 1; input [T, B, in] or [B, T, in] with batchFirst; output [T, B, D*H] (forward and
/// reverse halves concatenated); states [numLayers*D, B, H] ordered layer 0 forward, layer 0 reverse, layer 1 ...
/// </remarks>
public abstract class RecurrentBase : Module
{
    public int InputSize { get; }
    public int HiddenSize { get; }
    public int NumLayers { get; }
    public bool HasBias { get; }
    public bool BatchFirst { get; }
    public bool Bidirectional { get; }
    /// <summary>Dropout on the outputs of every layer but the last, in training.</summary>
    public double DropoutP { get; }

    private int Directions => Bidirectional ? 2 : 1;

    // Indexed [layer * D + direction].
    private readonly List<(Tensor wih, Tensor whh, Tensor? bih, Tensor? bhh)> _cells = new();

    protected RecurrentBase(int gates, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst, double dropout, bool bidirectional)
    {
        if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), $"{GetType().Name}(inputSize {inputSize}, hiddenSize {hiddenSize}, numLayers {numLayers}): sizes must be positive");
        if (dropout < 0 || dropout > 1) throw new ArgumentOutOfRangeException(nameof(dropout), $"{GetType().Name}: dropout must be in [0, 1], got {dropout}");
        (InputSize, HiddenSize, NumLayers, HasBias, BatchFirst, DropoutP, Bidirectional) = (inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional);
        double k = 1 / Math.Sqrt(hiddenSize);
        for (int l = 0; l < numLayers; l++)
            for (int d = 0; d < Directions; d++)
            {
                int inp = l == 0 ? inputSize : hiddenSize * Directions;
                string s = $"_l{l}" + (d == 1 ? "_reverse" : "");
                var wih = RegisterParameter("weight_ih" + s, Tensor.Zeros(gates * hiddenSize, inp));
                var whh = RegisterParameter("weight_hh" + s, Tensor.Zeros(gates * hiddenSize, hiddenSize));
                var bih = bias ? RegisterParameter("bias_ih" + s, Tensor.Zeros(gates * hiddenSize)) : null;
                var bhh = bias ? RegisterParameter("bias_hh" + s, Tensor.Zeros(gates * hiddenSize)) : null;
                _cells.Add((wih, whh, bih, bhh));
            }
        foreach (var p in Parameters()) Init.Uniform(p, -k, k);
    }

    /// <summary>Runs every layer over the sequence. h0/c0 [numLayers*D, B, H] or null (zeros); c only for LSTM.</summary>
    private protected (Tensor output, Tensor hN, Tensor? cN) Run(Tensor input, Tensor? h0, Tensor? c0, bool lstm)
    {
        if (input.Rank != 3 || input.Shape[2] != InputSize)
            throw new ShapeException($"{GetType().Name}: input {input.Shape} must be {(BatchFirst ? "[B, T, " : "[T, B, ")}{InputSize}]");
        var x = BatchFirst ? input.Transpose(0, 1) : input;                       // [T, B, in]
        int T = x.Shape[0], B = x.Shape[1];
        CheckState(h0, B, "h0"); CheckState(c0, B, "c0");
        var hs = new List<Tensor>(); var cs = new List<Tensor>();
        for (int l = 0; l < NumLayers; l++)
        {
            var outs = new Tensor[Directions];
            for (int d = 0; d < Directions; d++)
            {
                int i = l * Directions + d;
                var (o, h, c) = RunDirection(x, _cells[i], h0?.Select(0, i), lstm ? c0?.Select(0, i) : null, lstm, reverse: d == 1);
                outs[d] = o; hs.Add(h); if (c != null) cs.Add(c);
            }
            x = Directions == 1 ? outs[0] : Tensor.Cat(outs, 2);                   // [T, B, D*H]
            if (l < NumLayers - 1 && DropoutP > 0) x = F.Dropout(x, DropoutP, Training);
        }
        var output = BatchFirst ? x.Transpose(0, 1) : x;
        return (output, Tensor.Stack(hs, 0), lstm ? Tensor.Stack(cs, 0) : null);
    }

    // One layer in one direction over x [T, B, in]: returns outputs [T, B, H] (in time order) and the final (h, c).
    private (Tensor output, Tensor h, Tensor? c) RunDirection(Tensor x, (Tensor wih, Tensor whh, Tensor? bih, Tensor? bhh) p, Tensor? h0, Tensor? c0, bool lstm, bool reverse)
    {
        int T = x.Shape[0], B = x.Shape[1], H = HiddenSize, gh = p.wih.Shape[0];
        // Input projection for all timesteps at once: [T*B, in] x [in, G*H] -> [T, B, G*H].
        var xg = x.Reshape(T * B, x.Shape[2]).Matmul(p.wih.T);
        if (p.bih != null) xg = xg.Add(p.bih);
        xg = xg.Reshape(T, B, gh);
        var h = h0 ?? Tensor.Zeros(new Shape(B, H), x.Device);
        var c = lstm ? c0 ?? Tensor.Zeros(new Shape(B, H), x.Device) : null;
        if (lstm && !reverse)
        {
            // The whole recurrence as one node (Tensor.LstmSequence): W_hh's gradient is one GEMM over all steps instead
            // of T small ones summed. b_hh joins the input projection (the same sum, added in another order).
            if (p.bhh != null) xg = xg.Add(p.bhh);
            var (hs, cN) = Tensor.LstmSequence(xg, p.whh, h, c!);
            return (hs, hs.Select(0, T - 1), cN);
        }
        var whhT = p.whh.T;
        var outs = new Tensor[T];
        for (int s = 0; s < T; s++)
        {
            int t = reverse ? T - 1 - s : s;
            var hg = h.Matmul(whhT);                                                 // [B, G*H]
            if (p.bhh != null) hg = hg.Add(p.bhh);
            (h, c) = Step(xg.Select(0, t), hg, h, c);
            outs[t] = h;
        }
        return (Tensor.Stack(outs, 0), h, c);
    }

    /// <summary>One timestep: xg = x_t W_ih^T + b_ih and hg = h W_hh^T + b_hh, both [B, G*H]; returns the new (h, c).</summary>
    private protected abstract (Tensor h, Tensor? c) Step(Tensor xg, Tensor hg, Tensor h, Tensor? c);

    private void CheckState(Tensor? s, int batch, string name)
    {
        int n = NumLayers * Directions;
        if (s != null && (s.Rank != 3 || s.Shape[0] != n || s.Shape[1] != batch || s.Shape[2] != HiddenSize))
            throw new ShapeException($"{GetType().Name}: initial state {name} {s.Shape} must be [numLayers*directions, B, H] = [{n}, {batch}, {HiddenSize}]");
    }

    public override string ExtraRepr() => $"{InputSize}, {HiddenSize}, numLayers={NumLayers}, batchFirst={BatchFirst}" + (Bidirectional ? ", bidirectional=True" : "") + (HasBias ? "" : ", bias=False") + (DropoutP > 0 ? $", dropout={DropoutP}" : "");
}
