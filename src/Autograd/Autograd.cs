namespace Engine;

/// <summary>Grad mode, graph recording and anomaly detection.</summary>
public static class Autograd
{
    [ThreadStatic] private static int _noGradDepth;

    /// <summary>True unless inside <see cref="NoGrad"/> (per thread).</summary>
    public static bool IsEnabled => _noGradDepth == 0;

    [ThreadStatic] private static bool _detectAnomaly;

    /// <summary>When on (for the current thread), every op checks its output and names the first op that made a NaN or Inf.</summary>
    public static bool DetectAnomaly { get => _detectAnomaly; set => _detectAnomaly = value; }

    /// <summary>Disables graph recording until disposed: <c>using (Tensor.NoGrad()) { ... }</c>.</summary>
    public static IDisposable NoGrad() => new NoGradScope();

    private sealed class NoGradScope : IDisposable
    {
        private bool _done;
        public NoGradScope() => _noGradDepth++;
        public void Dispose() { if (!_done) { _done = true; _noGradDepth--; } }
    }

    /// <summary>Whether gradients flow through t (it requires grad or was made from one that does).</summary>
    public static bool Tracks(Tensor? t) => t != null && (t.RequiresGrad || t.GradFn != null);

    /// <summary>Whether an op on these inputs should record a node.</summary>
    public static bool Needed(Tensor a) => IsEnabled && Tracks(a);
    public static bool Needed(Tensor a, Tensor? b) => IsEnabled && (Tracks(a) || Tracks(b));
    public static bool Needed(Tensor a, Tensor? b, Tensor? c) => IsEnabled && (Tracks(a) || Tracks(b) || Tracks(c));
    public static bool Needed(IEnumerable<Tensor> ts) => IsEnabled && ts.Any(Tracks);

    /// <summary>Attaches fn as the creator of output (when any input tracks gradients) and returns output.</summary>
    public static Tensor Record(Function fn, Tensor output, params Tensor[] inputs)
    {
        if (DetectAnomaly) CheckFinite(fn.Name, output);
        if (!IsEnabled || !inputs.Any(Tracks)) return output;
        fn.Inputs = inputs;
        fn.OutputShapes = [output.Shape];
        output.GradFn = fn;
        output.OutputIndex = 0;
        return output;
    }

    /// <summary>Multi-output form of <see cref="Record(Function, Tensor, Tensor[])"/>.</summary>
    public static Tensor[] RecordMany(Function fn, Tensor[] outputs, params Tensor[] inputs)
    {
        if (DetectAnomaly) foreach (var o in outputs) CheckFinite(fn.Name, o);
        if (!IsEnabled || !inputs.Any(Tracks)) return outputs;
        fn.Inputs = inputs;
        fn.OutputShapes = outputs.Select(o => o.Shape).ToArray();
        for (int i = 0; i < outputs.Length; i++) { outputs[i].GradFn = fn; outputs[i].OutputIndex = i; }
        return outputs;
    }

    private static void CheckFinite(string op, Tensor t)
    {
        if (t.DType == DType.Int32) return;
        foreach (var v in t.ToArray())
            if (!float.IsFinite(v))
                throw new AnomalyException($"anomaly: {op} produced {(float.IsNaN(v) ? "NaN" : "Inf")} in its output of shape {t.Shape}", op);
    }
}

/// <summary>Raised by anomaly detection; <see cref="Op"/> names the first op that made a non-finite value.</summary>
public sealed class AnomalyException(string message, string op) : ArithmeticException(message)
{
    public string Op { get; } = op;
}
