using System.Text.Json;
using Engine.Tests.TestUtil;

namespace Engine.Onnx.Tests;

/// <summary>
/// The ONNX files of fixtures/torch/onnx_gen.py (torch.onnx.export of PyTorch 1.13), generated once per test run into
/// a temp folder: NAME_opsetK.onnx with an input and PyTorch's output at a batch size other than the exported one.
/// </summary>
public static class OnnxGoldens
{
    private static readonly Lazy<string> Dir = new(() =>
    {
        var dir = TorchPython.TempDir("onnx-goldens");
        TorchPython.Run("torch/onnx_gen.py", dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        return dir;
    });

    public static string Folder => Dir.Value;

    public static string PathOf(string stem) => Path.Combine(Folder, stem + ".onnx");

    /// <summary>(input, PyTorch's output) of a generated model.</summary>
    public static (Tensor input, Tensor output) Case(string stem)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, stem + ".json")));
        int[] Shape(string k) => doc.RootElement.GetProperty(k).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (Read(stem + ".in.bin", Shape("input")), Read(stem + ".out.bin", Shape("output")));
    }

    private static Tensor Read(string file, int[] shape)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Folder, file));
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
