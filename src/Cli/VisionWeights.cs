using System.Text.Json;
using Engine.Vision;

namespace Engine.Cli;

/// <summary>
/// The one way `engine predict`, `engine finetune` and `engine export` read a torchvision architecture's weights
/// (`--arch NAME --weights FILE`): a safetensors file or a <c>torch.save</c> state dict (.pt/.pth), chosen by the file's
/// first bytes (then its extension), loaded strict. The class count comes from the file's head (fc.weight,
/// classifier.N.weight), so a 10-class fine-tuned file builds a 10-class model.
/// </summary>
/// <remarks>
/// Errors follow docs/cli.md: a missing file or one that is neither format exits 1 (naming the file); an unknown
/// architecture, or weights that do not fit it (another architecture, another head) exit 2 with one line that lists the
/// first mismatched, missing and unexpected keys with their shapes.
/// </remarks>
public static class VisionWeights
{
    /// <summary>Metadata key of the class names (a JSON array) in the safetensors file `engine finetune` writes.</summary>
    public const string LabelsKey = "engine.labels";

    /// <summary>The architecture named by --arch (any case), or a usage error listing the known ones.</summary>
    public static string CheckArch(string? arch)
    {
        if (arch == null) throw new UsageException($"--arch NAME is needed with --weights; known: {string.Join(", ", VisionModels.Names)}");
        var known = VisionModels.Names.FirstOrDefault(n => n.Equals(arch, StringComparison.OrdinalIgnoreCase));
        return known ?? throw new UsageException($"--arch {arch}: unknown architecture; known: {string.Join(", ", VisionModels.Names)}");
    }

    /// <summary>
    /// The classifier's last Linear, by torchvision's names: fc for resnet, classifier.1 for mobilenet_v2 and
    /// efficientnet_b0, classifier.3 for mobilenet_v3, classifier.6 for vgg. Its weight is [numClasses, features].
    /// </summary>
    public static string HeadName(string arch) => CheckArch(arch) switch
    {
        "resnet18" or "resnet34" or "resnet50" => "fc",
        "mobilenet_v2" or "efficientnet_b0" => "classifier.1",
        "mobilenet_v3_small" or "mobilenet_v3_large" => "classifier.3",
        "vgg11_bn" => "classifier.6",
        var a => throw new NotSupportedException($"VisionWeights: no head name for architecture '{a}'"),
    };

    /// <summary>The state dict of a safetensors or torch.save file (and the safetensors metadata; empty for .pth).</summary>
    public static Dictionary<string, Tensor> Read(string path, out Dictionary<string, string> metadata, Device? device = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--weights {path}: no such file; give a .safetensors or .pth state dict", path);
        metadata = new Dictionary<string, string>();
        switch (Sniff(path))
        {
            case Format.Safetensors: return Safetensors.Load(path, out metadata, device);   // a damaged file: an error naming it (exit 1)
            case Format.Torch: return TorchCheckpoint.Load(path, device);
            default: throw new InvalidDataException($"--weights {path}: neither a safetensors file nor a torch.save (.pt/.pth zip) file; give the state dict of a torchvision model");
        }
    }

    private enum Format { Unknown, Safetensors, Torch }

    // By content first (a .pth renamed .bin or .safetensors still reads), then by extension (a damaged file gets the
    // reader of the format it claims, whose error says what is wrong inside).
    private static Format Sniff(string path)
    {
        Span<byte> head = stackalloc byte[9];
        int n;
        using (var f = File.OpenRead(path)) n = f.ReadAtLeast(head, 9, throwOnEndOfStream: false);
        if (n >= 4 && head[..4].SequenceEqual("PK\x03\x04"u8)) return Format.Torch;
        if (n == 9 && head[8] == (byte)'{') return Format.Safetensors;
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".safetensors" => Format.Safetensors,
            ".pt" or ".pth" or ".bin" or ".ckpt" => Format.Torch,
            _ => Format.Unknown,
        };
    }

    /// <summary>The class count of the weights' head (rows of HEAD.weight), or a usage error when the file has no such head.</summary>
    public static int NumClasses(string arch, IReadOnlyDictionary<string, Tensor> state, string path)
    {
        var key = HeadName(arch) + ".weight";
        if (state.TryGetValue(key, out var w) && w.Rank == 2 && w.Shape[0] >= 1) return w.Shape[0];
        string found = w == null ? "has no such tensor" : $"has it as {w.Shape}";
        throw new UsageException($"--weights {path} are not {arch} weights: its head '{key}' should be [classes, features] but the file {found}; " +
            $"its first keys are {FirstKeys(state)} (another --arch?)");
    }

    /// <summary>
    /// The model --arch builds, with the class count of the file's head, and the file's weights loaded strict
    /// (num_batches_tracked may be absent, as in PyTorch). Returns the metadata too (the class names of a fine-tuned file).
    /// </summary>
    public static (Module model, int numClasses, Dictionary<string, string> metadata) Load(string arch, string path, Device device)
    {
        arch = CheckArch(arch);
        var state = Read(path, out var metadata);
        int classes = NumClasses(arch, state, path);
        var model = VisionModels.Create(arch, classes);
        LoadStrict(model, arch, state, path);
        return (model.To(device), classes, metadata);
    }

    /// <summary>
    /// Fine-tuning's start: the model --arch builds with numClasses outputs and every backbone tensor from the file
    /// (strict). The head comes from the file when its class count is numClasses (or with keepHead, which then
    /// requires it), else it is a fresh one (PyTorch's init): always with replaceHead. No file (path null): random init.
    /// Returns the model and a line that says what happened to the head.
    /// </summary>
    public static (Module model, string head) LoadBackbone(string arch, string? path, int numClasses, Device device, bool keepHead = false, bool replaceHead = false)
    {
        arch = CheckArch(arch);
        var head = HeadName(arch);
        var model = VisionModels.Create(arch, numClasses);
        if (path == null)
        {
            if (keepHead) throw new UsageException("--keep-head keeps the head of --weights FILE; give --weights, or drop --keep-head");
            return (model.To(device), $"random init (no --weights), {numClasses}-class head '{head}'");
        }
        var state = Read(path, out _);
        int fileClasses = NumClasses(arch, state, path);
        if (keepHead && fileClasses != numClasses)
            throw new UsageException($"--keep-head: the head '{head}' of --weights {path} has {fileClasses} classes, the image folder {numClasses}; drop --keep-head " +
                $"(or give --replace-head) to train a new {numClasses}-class head");
        bool replace = replaceHead || fileClasses != numClasses;
        if (replace)
        {
            // The fresh head's tensors stand in for the file's, so the strict load checks everything else.
            var own = model.StateDict();
            state = new Dictionary<string, Tensor>(state);
            // Only a head of the same feature width is replaced; another width is another architecture, which the
            // strict load below names.
            if (state.TryGetValue(head + ".weight", out var fw) && fw.Rank == 2 && fw.Shape[1] == own[head + ".weight"].Shape[1])
            {
                state[head + ".weight"] = own[head + ".weight"];
                if (state.ContainsKey(head + ".bias")) state[head + ".bias"] = own[head + ".bias"];
            }
        }
        LoadStrict(model, arch, state, path);
        return (model.To(device), replace
            ? $"backbone from {path}; head '{head}' replaced ({fileClasses} -> {numClasses} classes, fresh init)"
            : $"backbone and {numClasses}-class head '{head}' from {path}");
    }

    private static void LoadStrict(Module model, string arch, IReadOnlyDictionary<string, Tensor> state, string path)
    {
        try { VisionModels.LoadStateDict(model, state, path); }
        catch (ArgumentException e)
        {
            // LoadStateDict lists every problem, one per line; the CLI says it on one line: counts, then the first few.
            var problems = e.Message.Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            if (problems.Count == 0) throw new UsageException($"--weights {path} do not fit {arch}: {e.Message}");
            int missing = problems.Count(p => p.StartsWith("missing", StringComparison.Ordinal));
            int unexpected = problems.Count(p => p.StartsWith("unexpected", StringComparison.Ordinal));
            int mismatched = problems.Count - missing - unexpected;
            // Up to two of each kind, mismatched shapes first: enough to recognize the other architecture.
            var first = problems.Where(p => !p.StartsWith("missing", StringComparison.Ordinal) && !p.StartsWith("unexpected", StringComparison.Ordinal)).Take(2)
                .Concat(problems.Where(p => p.StartsWith("missing", StringComparison.Ordinal)).Take(2))
                .Concat(problems.Where(p => p.StartsWith("unexpected", StringComparison.Ordinal)).Take(2)).ToList();
            throw new UsageException($"--weights {path} do not fit --arch {arch} ({mismatched} mismatched, {missing} missing, {unexpected} unexpected of {state.Count} tensors; " +
                $"weights of another architecture?): {string.Join("; ", first)}{(problems.Count > first.Count ? "; ..." : "")}");
        }
    }

    /// <summary>The class names stored by `engine finetune` in the file's metadata, or null.</summary>
    public static string[]? StoredLabels(IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (!metadata.TryGetValue(LabelsKey, out var json)) return null;
        try { return JsonSerializer.Deserialize<string[]>(json) is { Length: > 0 } l && l.All(s => s != null) ? l : throw new JsonException("not an array of names"); }
        catch (JsonException e) { throw new InvalidDataException($"--weights {path}: its metadata '{LabelsKey}' is not a JSON list of class names ({e.Message})"); }
    }

    /// <summary>Class names from a text file, one per line (blank lines at the end ignored); their count must be numClasses.</summary>
    public static string[] ReadLabels(string path, int numClasses, string arch) =>
        ReadLabels(path, numClasses, $"the {arch} weights' head has {numClasses}",
            n => $"or weights with a {n}-class head: engine finetune replaces the head");

    /// <summary>
    /// One class name per line (trailing blank lines ignored); the count must be <paramref name="numClasses"/>, else a
    /// usage error: "--labels F names n classes, but {has}; give one name per class, one per line ({fix(n)})".
    /// </summary>
    public static string[] ReadLabels(string path, int numClasses, string has, Func<int, string> fix)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--labels {path}: no such file; give a text file with one class name per line", path);
        var lines = File.ReadAllLines(path).Select(l => l.TrimEnd('\r')).ToList();
        while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count != numClasses)
            throw new UsageException($"--labels {path} names {lines.Count} classes, but {has}; give one name per class, one per line ({fix(lines.Count)})");
        return lines.ToArray();
    }

    private static string FirstKeys(IReadOnlyDictionary<string, Tensor> state) =>
        state.Count == 0 ? "(none: the file is empty)" : string.Join(", ", state.Take(3).Select(kv => $"'{kv.Key}' {kv.Value.Shape}")) + (state.Count > 3 ? ", ..." : "");
}
