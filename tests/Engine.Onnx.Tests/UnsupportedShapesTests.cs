using Onnx;
using static Engine.Onnx.Tests.ProtoBuilder;

namespace Engine.Onnx.Tests;

/// <summary>
/// What the importer refuses with a clear error before anything runs: 3-D convolution and pooling (rank-5 inputs; the
/// engine has 1-D and 2-D kernels only) and control flow (If, Loop, Scan: nodes with subgraphs). Each message names
/// the operator, its node and the opset.
/// </summary>
public class UnsupportedShapesTests
{
    /// <summary>x [N, 2, 4, 4, 4] -> op -> y, with a weight [3, 2, 3, 3, 3] when the op is Conv.</summary>
    private static GraphProto Volume(string op, params AttributeProto[] attrs)
    {
        var g = new GraphProto { Name = "volume" };
        g.Input.Add(Info("x", -1, 2, 4, 4, 4));
        g.Output.Add(Info("y", -1, 3, 2, 2, 2));
        string[] inputs = ["x"];
        if (op == "Conv")
        {
            g.Initializer.Add(Floats("w", new float[3 * 2 * 27], 3, 2, 3, 3, 3));
            inputs = ["x", "w"];
        }
        g.Node.Add(Node(op, "the_3d_" + op.ToLowerInvariant(), inputs, ["y"], attrs));
        return g;
    }

    [Theory]
    [InlineData("Conv", "3-D convolution is not supported")]
    [InlineData("MaxPool", "3-D pooling is not supported")]
    [InlineData("AveragePool", "3-D pooling is not supported")]
    public void ThreeDConvolutionAndPoolingAreRefusedAtLoad(string op, string message)
    {
        var g = Volume(op, Export.GraphWriter.Attr("kernel_shape", 3L, 3L, 3L));
        var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(Bytes(Model(g, opset: 16))));
        Assert.Contains(message, e.Message);
        Assert.Contains($"{op} node 'the_3d_{op.ToLowerInvariant()}'", e.Message);
        Assert.Contains("opset 16", e.Message);
    }

    [Fact]
    public void AThreeDConvolutionWithoutKernelShapeIsNamedWhenItsWeightIsSeen()
    {
        // kernel_shape is optional in ONNX: the weight's rank then says it is 3-D, at the first run, before any math.
        var model = OnnxModel.Load(Bytes(Model(Volume("Conv"))));
        var e = Assert.Throws<OnnxException>(() => model.Forward(Tensor.Randn(1, 2, 4, 4, 4)));
        Assert.Contains("3-D convolution", e.Message);
        Assert.Contains("weight [3,2,3,3,3]", e.Message);
        Assert.Contains("the_3d_conv", e.Message);
    }

    [Theory]
    [InlineData("If")]
    [InlineData("Loop")]
    [InlineData("Scan")]
    public void ControlFlowIsRefusedNamingTheNode(string op)
    {
        var g = AddBias(3);
        var branch = new GraphProto { Name = "branch" };
        branch.Output.Add(Info("z", 3));
        branch.Node.Add(Node("Identity", "inner", ["y"], ["z"]));
        var attr = new AttributeProto { Name = op == "If" ? "then_branch" : "body", Type = AttributeProto.Types.AttributeType.Graph, G = branch };
        g.Node.Add(Node(op, "my_" + op.ToLowerInvariant(), ["y"], ["q"], attr));
        var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(Bytes(Model(g, opset: 13))));
        Assert.Contains($"{op} at node 'my_{op.ToLowerInvariant()}'", e.Message);
        Assert.Contains("control flow", e.Message);
        Assert.Contains("opset 13", e.Message);
    }
}
