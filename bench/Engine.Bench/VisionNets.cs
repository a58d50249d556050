namespace Engine.Bench;

/// <summary>
/// torchvision's resnet18 and mobilenet_v2 (the same layers, shapes and order) built from the engine's layers, for the
/// forward-pass workloads (eval mode, random weights: the time does not depend on the values). The pretrained-vision
/// issue brings them into the library with torchvision's state-dict names; until then they live here.
/// </summary>
internal static class VisionNets
{
    private sealed class Relu6 : Module
    {
        public override Tensor Forward(Tensor x) => x.Clamp(0f, 6f);
    }

    private static Module ConvBn(int cin, int cout, int k, int stride, int groups = 1, bool act = true, bool relu6 = false)
    {
        var s = new Sequential(new Conv2d(cin, cout, k, stride: stride, padding: (k - 1) / 2, groups: groups, bias: false), new BatchNorm2d(cout));
        if (act) s.Add(relu6 ? new Relu6() : new ReLU());
        return s;
    }

    /// <summary>resnet18's BasicBlock: conv-bn-relu, conv-bn, plus the identity (or a 1x1 strided conv-bn), relu.</summary>
    private sealed class BasicBlock : Module
    {
        private readonly Module _body, _shortcut;
        public BasicBlock(int cin, int cout, int stride)
        {
            _body = RegisterModule("body", new Sequential(ConvBn(cin, cout, 3, stride), ConvBn(cout, cout, 3, 1, act: false)));
            _shortcut = RegisterModule("shortcut", stride != 1 || cin != cout ? ConvBn(cin, cout, 1, stride, act: false) : new Identity());
        }
        public override Tensor Forward(Tensor x) => _body.Forward(x).Add(_shortcut.Forward(x)).Relu();
    }

    public static Module ResNet18()
    {
        var net = new Sequential(ConvBn(3, 64, 7, 2), new MaxPool2d(3, 2, 1));
        int cin = 64;
        foreach (var (c, s) in new[] { (64, 1), (128, 2), (256, 2), (512, 2) })
        {
            net.Add(new BasicBlock(cin, c, s)); net.Add(new BasicBlock(c, c, 1));
            cin = c;
        }
        net.Add(new AdaptiveAvgPool2d(1)); net.Add(new Flatten()); net.Add(new Linear(512, 1000));
        return net;
    }

    /// <summary>MobileNetV2's inverted residual: 1x1 expand (unless t = 1), 3x3 depthwise, 1x1 project; identity when it fits.</summary>
    private sealed class InvertedResidual : Module
    {
        private readonly Module _body;
        private readonly bool _residual;
        public InvertedResidual(int cin, int cout, int stride, int t)
        {
            int hidden = cin * t;
            var s = new Sequential();
            if (t != 1) s.Add(ConvBn(cin, hidden, 1, 1, relu6: true));
            s.Add(ConvBn(hidden, hidden, 3, stride, groups: hidden, relu6: true));
            s.Add(ConvBn(hidden, cout, 1, 1, act: false));
            _body = RegisterModule("conv", s);
            _residual = stride == 1 && cin == cout;
        }
        public override Tensor Forward(Tensor x) => _residual ? x.Add(_body.Forward(x)) : _body.Forward(x);
    }

    public static Module MobileNetV2()
    {
        var net = new Sequential(ConvBn(3, 32, 3, 2, relu6: true));
        int cin = 32;
        foreach (var (t, c, n, s) in new[] { (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1) })
            for (int i = 0; i < n; i++) { net.Add(new InvertedResidual(cin, c, i == 0 ? s : 1, t)); cin = c; }
        net.Add(ConvBn(320, 1280, 1, 1, relu6: true));
        net.Add(new AdaptiveAvgPool2d(1)); net.Add(new Flatten()); net.Add(new Linear(1280, 1000));
        return net;
    }

    /// <summary>Forward multiply-adds x 2 of a net at batch 8 and 224 x 224 (torchvision's published counts: 1.814 and 0.301 GFLOP per image).</summary>
    public static double Flops(string name) => 8 * (name.StartsWith("resnet18") ? 1.814e9 : 0.301e9) * 2;
}
