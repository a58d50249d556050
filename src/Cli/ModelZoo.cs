namespace Engine.Cli;

/// <summary>The models `engine train --model` builds. All take images x [B,1,28,28] and return logits [B,10].</summary>
public static class ModelZoo
{
    public static Module Build(string name, int hidden = 256, int classes = 10) => name switch
    {
        // [B,1,28,28] -> [B,784] -> [B,H] -> [B,10]
        "mlp" => new Sequential(new Flatten(), new Linear(28 * 28, hidden), new ReLU(), new Linear(hidden, classes)),
        // DESIGN.md section 3: two conv/pool stages ([B,32,14,14], [B,64,7,7]) and a dropout head.
        "cnn" => new Sequential(
            new Conv2d(1, 32, kernelSize: 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, kernelSize: 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 128), new ReLU(), new Dropout(0.3),
            new Linear(128, classes)),
        // A small ResNet: stem [B,16,28,28], residual stages at 28, 14 and 7 pixels, global average pool.
        "resnet" => new Sequential(
            new Conv2d(1, 16, kernelSize: 3, padding: 1, bias: false), new BatchNorm2d(16), new ReLU(),
            new ResidualBlock(16, 16), new ResidualBlock(16, 32, stride: 2), new ResidualBlock(32, 64, stride: 2),
            new AdaptiveAvgPool2d(1), new Flatten(), new Linear(64, classes)),
        // MobileNet-style: depthwise-separable convolutions [B,32,28,28] -> [B,64,14,14] -> [B,128,7,7], global pool.
        "mobilenet" => new Sequential(
            new Conv2d(1, 16, kernelSize: 3, padding: 1, bias: false), new BatchNorm2d(16), new ReLU(),
            new DepthwiseSeparableConv(16, 32), new DepthwiseSeparableConv(32, 64, stride: 2),
            new DepthwiseSeparableConv(64, 128, stride: 2),
            new AdaptiveAvgPool2d(1), new Flatten(), new Linear(128, classes)),
        // Rows as a sequence: 28 steps of 28 pixels through an LSTM; the last hidden state classifies.
        "lstm" => new RowLstm(28, Math.Min(hidden, 128), classes),
        _ => throw new UsageException($"unknown model '{name}'; choose one of {string.Join(", ", TrainSettings.Models)}"),
    };
}

/// <summary>x [B,1,28,28] -> rows [B,28,28] -> LSTM (batch first) -> last step's output [B,H] -> Linear -> [B,classes].</summary>
public sealed class RowLstm : Module, Engine.Onnx.IOnnxExportable
{
    private readonly LSTM _lstm;
    private readonly Linear _head;

    public RowLstm(int rowWidth, int hidden, int classes)
    {
        _lstm = RegisterModule("lstm", new LSTM(rowWidth, hidden, batchFirst: true));
        _head = RegisterModule("head", new Linear(hidden, classes));
    }

    public override Tensor Forward(Tensor input)
    {
        int b = input.Shape[0], t = input.Shape[^2], w = input.Shape[^1];
        var output = _lstm.Forward(input.Reshape(b, t, w));          // [B,T,H]
        var last = output.Select(1, t - 1);                           // [B,H]
        return _head.Forward(last);
    }

    /// <summary>The same forward in ONNX: Reshape (batch kept free), the LSTM node, Gather of step T-1, Gemm.</summary>
    public string ExportOnnx(Engine.Onnx.OnnxGraph g, string input, Tensor x)
    {
        int b = x.Shape[0], t = x.Shape[^2], w = x.Shape[^1];
        var rows = g.Node("Reshape", [input, g.Ints(0, t, w)]);                                   // [B,T,W]
        var (seq, ys) = g.Child(_lstm, "lstm", rows, x.Reshape(b, t, w));                          // [B,T,H]
        var last = g.Node("Gather", [seq, g.Scalar(t - 1)], Engine.Onnx.OnnxGraph.Attr("axis", 1L)); // [B,H]
        return g.Child(_head, "head", last, ys.Select(1, t - 1)).Name;
    }
}
