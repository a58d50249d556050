using System.Text.Json;
using Engine.Tests.TestUtil;

namespace Engine.Onnx.Tests;

/// <summary>
/// The ONNX files of fixtures/torch/onnx_gen.py (torch.onnx.export of PyTorch 1.13), generated once per test run into
/// a temp folder: NAME_opsetK.onnx with an input and PyTorch's output at a batch size other than the exported one.
/// </summary>
public static class OnnxGoldens
{
    private static readonly Lazy<string> Dir = new(() => Generate("onnx-goldens"));

    /// <summary>The rest of the vision zoo (mobilenet_v3_small/large, efficientnet_b0, vgg11_bn), opset 17 only.</summary>
    private static readonly Lazy<string> ZooDir = new(() =>
        Generate("onnx-zoo-goldens", "--opsets=17", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "vgg11_bn"));

    private static string Generate(string prefix, params string[] args)
    {
        var dir = TorchPython.TempDir(prefix);
        TorchPython.Run("torch/onnx_gen.py", [dir, .. args]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        return dir;
    }

    public static string Folder => Dir.Value;

    public static string ZooFolder => ZooDir.Value;

    public static string PathOf(string stem) => Path.Combine(Folder, stem + ".onnx");

    /// <summary>(input, PyTorch's output) of a generated model (in folder, Folder by default).</summary>
    public static (Tensor input, Tensor output) Case(string stem, string? folder = null)
    {
        folder ??= Folder;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, stem + ".json")));
        int[] Shape(string k) => doc.RootElement.GetProperty(k).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (Read(folder, stem + ".in.bin", Shape("input")), Read(folder, stem + ".out.bin", Shape("output")));
    }

    private static Tensor Read(string folder, string file, int[] shape)
    {
        var bytes = File.ReadAllBytes(Path.Combine(folder, file));
        var f = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, f, 0, bytes.Length);
        return Tensor.FromArray(f, shape);
    }

    /// <summary>|e - a| &lt;= atol + rtol |e| elementwise, naming the first element that is not.</summary>
    public static void Close(Tensor expected, Tensor actual, float rtol, float atol, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        float[] e = expected.ToArray(), a = actual.ToArray();
        for (int i = 0; i < e.Length; i++)
            if (!(MathF.Abs(e[i] - a[i]) <= atol + rtol * MathF.Abs(e[i])))
                Assert.Fail($"{what}: element {i} expected {e[i]:G9}, got {a[i]:G9} (rtol {rtol}, atol {atol})");
    }
}
