using Engine.Vision;
using static Engine.Onnx.Export.GraphWriter;

namespace Engine.Onnx.Export;

/// <summary>
/// Exporters for the vision zoo (Engine.Vision): the architectures and blocks whose forward is code of their own
/// (a residual add, a global mean, a squeeze-and-excitation product), written as torch.onnx.export writes the same
/// torchvision modules. Their children (Conv2d, BatchNorm2d, activations, Sequential, Linear, Dropout) go back
/// through <see cref="Layers.Export"/>, so initializers keep the state-dict names (features.1.conv.0.0.weight, ...).
/// They live here, not in Engine.Vision, so that the vision package carries no protobuf dependency: Engine.Onnx
/// references Engine.Vision, never the other way round. Shapes: N batch, C channels, H W spatial.
/// </summary>
internal static class VisionZoo
{
    public const string Supported = "ResNet, BasicBlock, Bottleneck, MobileNetV2, InvertedResidualV2, MobileNetV3, InvertedResidualV3, " +
                                    "EfficientNet, MBConv, SqueezeExcitation, StochasticDepth (eval), Vgg";

    /// <summary>The module's nodes and its output on the sample, or null when m is not a zoo module.</summary>
    public static (string name, Tensor y)? TryExport(Module m, string path, string input, Tensor x, GraphWriter w)
    {
        string scope = path.Length == 0 ? m.GetType().Name : path.Replace('.', '/');
        var children = m.NamedChildren().ToDictionary(c => c.Name, c => c.Module);
        (string, Tensor) Child(string name, string inName, Tensor sample) =>
            Layers.Export(children[name], path.Length == 0 ? name : $"{path}.{name}", inName, sample, w);
        (string, Tensor) Chain(string inName, Tensor sample, params string[] names)
        {
            var cur = (inName, sample);
            foreach (var n in names) cur = Child(n, cur.inName, cur.sample);
            return cur;
        }

        switch (m)
        {
            case ResNet:
            {
                // conv1 - bn1 - relu - maxpool - layer1..4 - mean over H, W - fc
                var (a, ya) = Chain(input, x, "conv1", "bn1");
                a = w.Node("Relu", scope + "/relu", [a]); ya = ya.Relu();
                (a, ya) = Chain(a, ya, "maxpool", "layer1", "layer2", "layer3", "layer4");
                (a, ya) = GlobalMean(a, ya, scope, w);
                return Child("fc", a, ya);
            }
            case BasicBlock or Bottleneck:
            {
                // relu(bn2(conv2(relu(bn1(conv1 x))))  [+ relu(bn3(conv3 .)) for the bottleneck]  + downsample(x))
                var (a, ya) = Chain(input, x, "conv1", "bn1");
                a = w.Node("Relu", scope + "/relu1", [a]); ya = ya.Relu();
                (a, ya) = Chain(a, ya, "conv2", "bn2");
                if (m is Bottleneck)
                {
                    a = w.Node("Relu", scope + "/relu2", [a]); ya = ya.Relu();
                    (a, ya) = Chain(a, ya, "conv3", "bn3");
                }
                var (s, ys) = children.ContainsKey("downsample") ? Child("downsample", input, x) : (input, x);
                var sum = w.Node("Add", scope, [a, s]);
                return (w.Node("Relu", scope + "/relu", [sum]), ya.Add(ys).Relu());
            }
            case MobileNetV2 or MobileNetV3 or EfficientNet:
            {
                // classifier(mean over H, W of features(x))
                var (a, ya) = Child("features", input, x);
                (a, ya) = GlobalMean(a, ya, scope, w);
                return Child("classifier", a, ya);
            }
            case Vgg:
            {
                // classifier(flatten(adaptive_avg_pool(features(x), 7x7)))
                var (a, ya) = Child("features", input, x);
                int H = ya.Shape[2], W = ya.Shape[3];
                a = H % 7 == 0 && W % 7 == 0
                    ? (H == 7 && W == 7 ? a : w.Node("AveragePool", scope + "/avgpool", [a], Attr("kernel_shape", (long)(H / 7), W / 7), Attr("strides", (long)(H / 7), W / 7)))
                    : Layers.AdaptiveAvgMatMul(a, H, W, 7, 7, scope + "/avgpool", w);
                ya = F.AdaptiveAvgPool2d(ya, 7, 7);
                a = w.Node("Flatten", scope, [a], Attr("axis", 1L)); ya = ya.Flatten(1);
                return Child("classifier", a, ya);
            }
            case InvertedResidualV2 ir:
            {
                var (a, ya) = Child("conv", input, x);
                return ir.UseResConnect ? (w.Node("Add", scope, [input, a]), x.Add(ya)) : (a, ya);
            }
            case InvertedResidualV3 ir:
            {
                var (a, ya) = Child("block", input, x);
                return ir.UseResConnect ? (w.Node("Add", scope, [a, input]), ya.Add(x)) : (a, ya);
            }
            case MBConv mb:
            {
                var (a, ya) = Child("block", input, x);
                if (!mb.UseResConnect) return (a, ya);
                (a, ya) = Child("stochastic_depth", a, ya);
                return (w.Node("Add", scope, [a, input]), ya.Add(x));
            }
            case SqueezeExcitation:
            {
                // s = scale_activation(fc2(activation(fc1(mean over H, W of x, kept)))) [N, C, 1, 1]; y = x * s
                var s = w.Node("GlobalAveragePool", scope + "/avgpool", [input]);
                var (a, ya) = Chain(s, x.Mean([2, 3], keepDim: true), "fc1", "activation", "fc2", "scale_activation");
                return (w.Node("Mul", scope, [input, a]), x.Mul(ya));
            }
            case StochasticDepth sd:
                // Identity in eval; in training it draws a random mask per call, which an inference graph cannot hold.
                if (sd.Training && sd.P > 0)
                    throw new NotSupportedException($"ONNX export: layer '{(path.Length == 0 ? "(root)" : path)}' (StochasticDepth, p={sd.P}) is in training mode, " +
                                                    "where it drops random samples; export the model in eval mode, where it is the identity");
                return (input, x);
            default:
                return null;
        }
    }

    // mean over H and W without keepdim, as torch writes adaptive_avg_pool2d(1) + flatten: GlobalAveragePool, Flatten.
    private static (string, Tensor) GlobalMean(string input, Tensor x, string scope, GraphWriter w)
    {
        var p = w.Node("GlobalAveragePool", scope + "/avgpool", [input]);
        return (w.Node("Flatten", scope, [p], Attr("axis", 1L)), x.Mean([2, 3]));
    }
}
