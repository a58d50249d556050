using Google.Protobuf;
using Onnx;

namespace Engine.Onnx.Tests;

/// <summary>Hand-built ONNX graphs for the error-path tests (what an exporter would never write).</summary>
internal static class ProtoBuilder
{
    public static ModelProto Model(GraphProto g, int opset = 17)
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = "test", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return m;
    }

    public static ValueInfoProto Info(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }

    public static NodeProto Node(string op, string name, string[] inputs, string[] outputs, params AttributeProto[] attrs)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs); n.Output.AddRange(outputs); n.Attribute.AddRange(attrs);
        return n;
    }

    public static TensorProto Floats(string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = 1 };
        t.Dims.AddRange(dims);
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    /// <summary>y = x + b (b an initializer of [n]): the smallest graph with a parameter.</summary>
    public static GraphProto AddBias(int n, TensorProto? bias = null)
    {
        var g = new GraphProto { Name = "add" };
        g.Input.Add(Info("x", -1, n));
        g.Output.Add(Info("y", -1, n));
        g.Initializer.Add(bias ?? Floats("b", Enumerable.Range(0, n).Select(i => (float)i).ToArray(), n));
        g.Node.Add(Node("Add", "add0", ["x", "b"], ["y"]));
        return g;
    }

    public static byte[] Bytes(ModelProto m) => m.ToByteArray();
}
