using Engine.Onnx.Export;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace Engine.Onnx.Tests;

/// <summary>
/// auto_pad (VALID, SAME_UPPER, SAME_LOWER) of Conv, MaxPool and AveragePool, which torch.onnx.export never writes
/// but other exporters (TensorFlow's, Keras') do: hand-built graphs give ONNX Runtime's outputs (the reference
/// implementation), with odd total padding (the UPPER/LOWER split matters), strides, dilation and both
/// count_include_pad settings.
/// </summary>
public class AutoPadTests
{
    public static TheoryData<string, string, int, int, int, int> Cases => new()
    {
        // op, auto_pad, kernel, stride, dilation, count_include_pad
        { "Conv", "SAME_UPPER", 3, 2, 1, 0 },
        { "Conv", "SAME_LOWER", 3, 2, 1, 0 },
        { "Conv", "SAME_UPPER", 4, 1, 1, 0 },
        { "Conv", "SAME_LOWER", 2, 3, 1, 0 },
        { "Conv", "VALID", 2, 1, 3, 0 },   // ONNX Runtime refuses dilation with SAME_*, so dilation is checked with VALID
        { "Conv", "VALID", 3, 2, 1, 0 },
        { "MaxPool", "SAME_UPPER", 2, 2, 1, 0 },
        { "MaxPool", "SAME_LOWER", 3, 2, 1, 0 },
        { "MaxPool", "VALID", 3, 2, 1, 0 },
        { "AveragePool", "SAME_UPPER", 3, 2, 1, 0 },
        { "AveragePool", "SAME_LOWER", 2, 2, 1, 0 },
        { "AveragePool", "SAME_UPPER", 3, 2, 1, 1 },
        { "AveragePool", "SAME_LOWER", 4, 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void GivesOnnxRuntimesOutputs(string op, string autoPad, int k, int stride, int dilation, int countPad)
    {
        int n = 2, c = 3, h = 7, w = 8, oc = 4;
        var g = new GraphProto { Name = "autopad" };
        g.Input.Add(ProtoBuilder.Info("x", n, c, h, w));
        g.Output.Add(new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        var attrs = new List<AttributeProto>
        {
            GraphWriter.Attr("auto_pad", autoPad), GraphWriter.Attr("kernel_shape", k, k), GraphWriter.Attr("strides", stride, stride),
        };
        var inputs = new List<string> { "x" };
        var rng = new Random(k * 100 + stride * 10 + dilation);
        float[] Rand(int count) => Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        if (op == "Conv")
        {
            g.Initializer.Add(ProtoBuilder.Floats("W", Rand(oc * c * k * k), oc, c, k, k));
            g.Initializer.Add(ProtoBuilder.Floats("B", Rand(oc), oc));
            inputs.AddRange(["W", "B"]);
            attrs.Add(GraphWriter.Attr("dilations", dilation, dilation));
        }
        if (op == "AveragePool") attrs.Add(GraphWriter.Attr("count_include_pad", (long)countPad));
        g.Node.Add(ProtoBuilder.Node(op, "the_node", inputs.ToArray(), ["y"], attrs.ToArray()));
        var bytes = ProtoBuilder.Bytes(ProtoBuilder.Model(g, 17));

        var xs = Rand(n * c * h * w);
        using var session = new InferenceSession(bytes);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(xs, [n, c, h, w]))]);
        var expected = results.First().AsTensor<float>();
        var shape = expected.Dimensions.ToArray();
        if (autoPad != "VALID") { Assert.Equal((h + stride - 1) / stride, shape[2]); Assert.Equal((w + stride - 1) / stride, shape[3]); }

        using var _ = Tensor.NoGrad();
        var y = OnnxModel.Load(bytes).Forward(Tensor.FromArray(xs, n, c, h, w));
        OnnxGoldens.Close(Tensor.FromArray(expected.ToArray(), shape), y, 1e-5f, 1e-6f, $"{op} auto_pad {autoPad} k{k} s{stride} d{dilation}");
    }

    [Fact]
    public void AutoPadWithExplicitPadsIsAnError()
    {
        var g = new GraphProto { Name = "both" };
        g.Input.Add(ProtoBuilder.Info("x", 1, 1, 4, 4));
        g.Output.Add(ProtoBuilder.Info("y", 1, 1, 4, 4));
        g.Node.Add(ProtoBuilder.Node("MaxPool", "pool", ["x"], ["y"], GraphWriter.Attr("auto_pad", "SAME_UPPER"),
            GraphWriter.Attr("kernel_shape", 3L, 3L), GraphWriter.Attr("pads", 1L, 1L, 1L, 1L)));
        var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(ProtoBuilder.Bytes(ProtoBuilder.Model(g))));
        Assert.Contains("MaxPool node 'pool'", e.Message);
        Assert.Contains("auto_pad SAME_UPPER and explicit pads", e.Message);

        g.Node[0] = ProtoBuilder.Node("MaxPool", "pool", ["x"], ["y"], GraphWriter.Attr("auto_pad", "SAME"), GraphWriter.Attr("kernel_shape", 3L, 3L));
        e = Assert.Throws<OnnxException>(() => OnnxModel.Load(ProtoBuilder.Bytes(ProtoBuilder.Model(g))));
        Assert.Contains("auto_pad 'SAME' is not", e.Message);
    }
}
