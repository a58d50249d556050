using System.Text;
using Engine.Data;
using Engine.Training;

namespace Engine.Tests.Data;

/// <summary>
/// Mutated files (bit flips, byte overwrites, truncations, header edits) fed to every reader of the engine: each either
/// reads or fails with the engine's own file errors (InvalidDataException, SafetensorsException, both IOExceptions),
/// never with another exception (an index out of range, an overflow, a JSON type error) and never by crashing.
/// Seeded, so a failure names a case that reproduces.
/// </summary>
public class ReaderFuzzTests
{
    private const int Cases = 300;

    private static byte[] Mutate(byte[] good, Random rng)
    {
        var b = (byte[])good.Clone();
        switch (rng.Next(4))
        {
            case 0: for (int k = rng.Next(1, 4); k > 0; k--) { int i = rng.Next(b.Length); b[i] ^= (byte)(1 << rng.Next(8)); } break;
            case 1: for (int k = rng.Next(1, 4); k > 0; k--) b[rng.Next(b.Length)] = (byte)rng.Next(256); break;
            case 2: b = b[..rng.Next(b.Length)]; break;
            default:                                                    // in the first 64 bytes: the headers
                for (int k = rng.Next(1, 6); k > 0; k--) b[rng.Next(Math.Min(64, b.Length))] = (byte)rng.Next(256);
                break;
        }
        return b;
    }

    private static void Fuzz(byte[] good, string name, Action<string> read, Func<Exception, bool>? alsoAllowed = null)
    {
        var dir = Directory.CreateTempSubdirectory("engine-fuzz-").FullName;
        try
        {
            var path = Path.Combine(dir, name);
            File.WriteAllBytes(path, good);
            read(path);                                                 // the intact file reads
            var rng = new Random(24);
            for (int c = 0; c < Cases; c++)
            {
                File.WriteAllBytes(path, Mutate(good, rng));
                try { read(path); }
                catch (Exception e) when (e is IOException or InvalidDataException || alsoAllowed?.Invoke(e) == true) { }   // SafetensorsException and EndOfStream are IOExceptions
                catch (Exception e) { Assert.Fail($"{name}, case {c}: {e.GetType().Name} escaped: {e.Message}"); }
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Safetensors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"engine-fuzz-{Guid.NewGuid():N}.safetensors");
        Engine.Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Randn(3, 4), ["i"] = Tensor.FromArray(new[] { 1, 2 }, 2) },
            new Dictionary<string, string> { ["note"] = "fuzz" });
        var good = File.ReadAllBytes(path);
        File.Delete(path);
        Fuzz(good, "m.safetensors", p => Engine.Safetensors.Load(p));
    }

    [Fact]
    public void CheckpointMetadata()
    {
        // A real checkpoint's metadata JSON, mutated as text inside a well-formed safetensors file.
        var meta = """{"format":"engine.checkpoint.v1","epochs_done":2,"mid_epoch":false,"optimizer_steps":8,"global_batch":8,"best":0.5,"rng":["1","2","3","4","0","0","0"],"optimizer":{"lr":0.1},"history":{"epochs":{"train_loss":[1.5,0.9]},"steps":{}}}""";
        var rng = new Random(7);
        for (int c = 0; c < Cases; c++)
        {
            var bytes = Encoding.UTF8.GetBytes(meta);
            var m = Encoding.UTF8.GetString(Mutate(bytes, rng));
            try { CheckpointMeta.Parse("ckpt", m); }
            catch (InvalidDataException) { }
            catch (Exception e) { Assert.Fail($"case {c}: {e.GetType().Name} escaped for {m}: {e.Message}"); }
        }
    }

    [Fact]
    public void Idx()
    {
        var good = new byte[] { 0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3 }.Concat(Enumerable.Range(0, 18).Select(i => (byte)i)).ToArray();
        Fuzz(good, "x-idx3-ubyte", p => Engine.Data.Idx.ReadBytes(p));
    }

    [Fact]
    public void Csv()
    {
        var good = Encoding.UTF8.GetBytes("a,b,\"label\"\n1.5,2,cat\n3,-4e2,dog\n5,6,cat\n");
        // A mutated header can lose the label column: asking for a column the file lacks is the caller's
        // ArgumentException (FileFormatTests), and it names the file and its columns.
        static bool NoColumn(Exception e, string file, string column) =>
            e is ArgumentException && e.Message.Contains($"{file}: no column '{column}'", StringComparison.Ordinal);
        Fuzz(good, "d.csv", p => Engine.Data.Csv.Read(p, labelColumn: "label"), e => NoColumn(e, "d.csv", "label"));
        Fuzz(Encoding.UTF8.GetBytes("1.5,2,0\n3,-4e2,1\n5,6,0\n"), "h.csv", p => Engine.Data.Csv.Read(p, hasHeader: false, labelColumn: "c2"),
            e => NoColumn(e, "h.csv", "c2"));
    }
}
