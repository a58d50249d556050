namespace Engine.Onnx;

/// <summary>
/// One value flowing along an edge of an imported graph. Float data lives in an engine <see cref="Engine.Tensor"/> on
/// the model's device (so it is differentiable and runs on ILGPU devices); integer and boolean data (shapes, indices,
/// masks of shape computations) lives on the host as <see cref="Ints"/>, because the engine's shape arithmetic happens
/// on the host anyway and <c>torch.onnx.export</c> emits whole subgraphs of it (Shape, Gather, Unsqueeze, Concat,
/// Reshape). A host float constant (<see cref="Floats"/>, from a Constant node) is uploaded once per device on demand.
/// </summary>
internal sealed class Value
{
    /// <summary>Float32 data on a device.</summary>
    public Tensor? Tensor { get; }
    /// <summary>Host integer data, C order, of <see cref="Shape"/>; booleans are 0/1.</summary>
    public long[]? Ints { get; }
    /// <summary>Host float constant, C order, of <see cref="Shape"/>.</summary>
    public float[]? Floats { get; }
    /// <summary>The ONNX element type (TensorProto.DataType).</summary>
    public int ElemType { get; }
    private readonly int[] _shape;
    private Dictionary<Device, Tensor>? _uploaded;

    private Value(Tensor? t, long[]? ints, float[]? floats, int[] shape, int elemType)
    {
        Tensor = t; Ints = ints; Floats = floats; _shape = shape; ElemType = elemType;
    }

    public static Value Of(Tensor t) => new(t, null, null, t.Shape.ToArray(), DataTypes.Float);
    public static Value OfInts(long[] data, int[] shape, int elemType = DataTypes.Int64)
    {
        Check(data.Length, shape, "integer value");
        return new(null, data, null, shape, elemType);
    }
    public static Value OfFloats(float[] data, int[] shape)
    {
        Check(data.Length, shape, "float constant");
        return new(null, null, data, shape, DataTypes.Float);
    }

    private static void Check(int n, int[] shape, string what)
    {
        long numel = 1;
        foreach (var d in shape) { if (d < 0) throw new OnnxException($"{what}: negative dimension in {Engine.Shape.Format(shape)}"); numel *= d; }
        if (numel != n) throw new OnnxException($"{what}: {n} elements do not fill shape {Engine.Shape.Format(shape)} ({numel})");
    }

    public int[] Shape => Tensor?.Shape.ToArray() ?? _shape;
    public int Rank => Shape.Length;
    public int Numel => Tensor?.Numel ?? (Ints?.Length ?? Floats!.Length);
    public bool IsFloat => Tensor != null || Floats != null;
    public bool IsHost => Tensor == null;

    /// <summary>The value as a float tensor on device (host constants are uploaded once and cached; ints converted).</summary>
    public Tensor AsTensor(Device device, string op)
    {
        if (Tensor != null)
        {
            if (Tensor.Device != device) return Tensor.To(device);
            return Tensor;
        }
        _uploaded ??= new();
        if (_uploaded.TryGetValue(device, out var t) && !t.IsDisposed) return t;
        var data = Floats ?? Ints!.Select(v => (float)v).ToArray();
        t = Engine.Tensor.FromArray(data, _shape, device).Keep();
        _uploaded[device] = t;
        return t;
    }

    /// <summary>The value's integers (host ints, or a float tensor/constant read back and truncated).</summary>
    public long[] AsInts(string op)
    {
        if (Ints != null) return Ints;
        var f = Floats ?? Tensor!.ToArray();
        return f.Select(v => (long)v).ToArray();
    }

    /// <summary>The value's floats on the host (reads a device tensor back).</summary>
    public float[] AsFloats() => Floats ?? (Ints != null ? Ints.Select(v => (float)v).ToArray() : Tensor!.ToArray());

    /// <summary>True with the number when this is a host scalar (any rank, one element).</summary>
    public bool TryScalar(out float s)
    {
        s = 0;
        if (Tensor != null || Numel != 1) return false;
        s = Floats != null ? Floats[0] : Ints![0];
        return true;
    }

    public string Describe() => $"{(Tensor != null ? "tensor" : Ints != null ? DataTypes.Name(ElemType) : "float constant")} {Engine.Shape.Format(Shape)}";
}
