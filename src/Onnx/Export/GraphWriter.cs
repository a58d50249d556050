using Google.Protobuf;
using Onnx;

namespace Engine.Onnx.Export;

/// <summary>
/// Builds an ONNX GraphProto: named initializers (the module's state-dict names), constants, and nodes with fresh
/// output names. Everything is float32 except shape constants (int64).
/// </summary>
internal sealed class GraphWriter(int opset)
{
    public GraphProto Graph { get; } = new() { Name = "engine" };
    public int Opset { get; } = opset;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    public string Fresh(string hint)
    {
        var n = hint;
        while (!_names.Add(n)) n = $"{hint}_{++_counter}";
        return n;
    }

    /// <summary>A float initializer holding the tensor's current values.</summary>
    public string Initializer(string name, Tensor t)
    {
        name = Fresh(name);
        var data = t.Detach().Contiguous().ToArray();
        var p = new TensorProto { Name = name, DataType = DataTypes.Float };
        p.Dims.AddRange(t.Shape.ToArray().Select(d => (long)d));
        var bytes = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        p.RawData = ByteString.CopyFrom(bytes);
        Graph.Initializer.Add(p);
        return name;
    }

    public string Floats(string hint, float[] data, params int[] dims)
    {
        var t = Tensor.FromArray(data, dims.Length == 0 ? [1] : dims).Reshape(dims);
        return Initializer(hint, t);
    }

    /// <summary>An int64 initializer (shapes, axes).</summary>
    public string Ints(string hint, params long[] data)
    {
        var name = Fresh(hint);
        var p = new TensorProto { Name = name, DataType = DataTypes.Int64 };
        p.Dims.Add(data.Length);
        p.Int64Data.AddRange(data);
        Graph.Initializer.Add(p);
        return name;
    }

    /// <summary>A 0-D int64 initializer.</summary>
    public string Scalar(string hint, long value)
    {
        var name = Fresh(hint);
        var p = new TensorProto { Name = name, DataType = DataTypes.Int64 };
        p.Int64Data.Add(value);
        Graph.Initializer.Add(p);
        return name;
    }

    /// <summary>Adds a node; returns the name of its (first) output.</summary>
    public string Node(string op, string scope, string[] inputs, params AttributeProto[] attrs) => NodeMany(op, scope, inputs, 1, attrs)[0];

    public string[] NodeMany(string op, string scope, string[] inputs, int outputs, params AttributeProto[] attrs)
    {
        var name = Fresh($"/{scope}/{op}".Replace("//", "/"));
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs);
        var outs = Enumerable.Range(0, outputs).Select(i => Fresh($"{name}_output_{i}")).ToArray();
        n.Output.AddRange(outs);
        n.Attribute.AddRange(attrs);
        Graph.Node.Add(n);
        return outs;
    }

    public static AttributeProto Attr(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
    public static AttributeProto Attr(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };
    public static AttributeProto Attr(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };
    public static AttributeProto Attr(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    public static AttributeProto Strings(string name, params string[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        a.Strings.AddRange(v.Select(ByteString.CopyFromUtf8));
        return a;
    }

    /// <summary>A tensor's type and shape (float32 unless told: an Int32 engine input, indices, is written as int64).</summary>
    public static ValueInfoProto Info(string name, int[] shape, bool dynamicBatch, int elemType = DataTypes.Float)
    {
        var s = new TensorShapeProto();
        for (int i = 0; i < shape.Length; i++)
            s.Dim.Add(i == 0 && dynamicBatch ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = s } } };
    }
}
