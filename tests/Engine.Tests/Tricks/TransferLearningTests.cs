using Engine.Data;
using Engine.Training;

namespace Engine.Tests.Tricks;

/// <summary>
/// End to end on real data: a backbone pretrained by the engine on Fashion-MNIST classes 0-4 is
/// fine-tuned, with a new head, on classes 5-9 — first frozen, then unfrozen at a lower learning rate.
/// </summary>
// Seed.Everything reseeds the process-wide generator: run apart from tests that draw from it.
[Collection("Data.GlobalGenerator")]
public class TransferLearningTests
{
    private sealed class Net : Module
    {
        public readonly Sequential Backbone;
        public readonly Linear Head;
        public Net(int classes)
        {
            Backbone = RegisterModule("backbone", new Sequential(new Linear(784, 64), new ReLU()));
            Head = RegisterModule("head", new Linear(64, classes));
        }
        public override Tensor Forward(Tensor x) => Head.Forward(Backbone.Forward(x));
    }

    private static List<(Tensor x, Tensor y)> Batches(FashionMnist.Split s, Func<int, bool> keep, int offset, int max)
    {
        var idx = Enumerable.Range(0, s.Count).Where(i => keep(s.Labels[i])).Take(max).ToArray();
        var list = new List<(Tensor, Tensor)>();
        for (int b = 0; b < idx.Length; b += 64)
        {
            var part = idx[b..Math.Min(idx.Length, b + 64)];
            var x = new float[part.Length * 784];
            for (int i = 0; i < part.Length; i++) Array.Copy(s.Images, part[i] * 784, x, i * 784, 784);
            list.Add((Tensor.FromArray(x, part.Length, 784).Keep(), Tensor.FromArray(part.Select(i => s.Labels[i] - offset).ToArray()).Keep()));
        }
        return list;
    }

    [Fact]
    public void PretrainOnHalfTheClassesFineTuneOnTheRest()
    {
        var s = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset"), "train");
        var pre = Batches(s, l => l < 5, 0, 1500);
        var fine = Batches(s, l => l >= 5, 5, 600);
        var fineValid = Batches(s, l => l >= 5, 5, 3000).Skip(10).ToList();

        Seed.Everything(3);
        var source = new Net(5);
        new Trainer(source, new SGD(source.Parameters(), lr: 0.1, momentum: 0.9), F.CrossEntropy).Fit(pre, null, epochs: 3);
        var dir = Path.Combine(Path.GetTempPath(), "engine-transfer-" + Guid.NewGuid().ToString("N"));
        var file = Path.Combine(dir, "pretrained.safetensors");
        source.Save(file);

        var target = new Net(5);                               // same shapes; the head is replaced below
        var report = TransferLearning.LoadPretrained(target, Safetensors.Load(file).Where(kv => kv.Key.StartsWith("backbone.")).ToDictionary());
        Assert.Equal(2, report.Loaded.Count);
        Assert.Contains("head.weight", report.NotInPretrained);
        Assert.Equal(source.Backbone.Parameters().First().ToArray(), target.Backbone.Parameters().First().ToArray());

        var groups = ParamGroups.Backbone(target.Backbone, lr: 1e-3, freeze: true).Head(target.Head, lr: 0.1);
        var opt = new SGD(groups, lr: 0.1, momentum: 0.9);
        var frozen = target.Backbone.Parameters().First().ToArray();
        var t = new Trainer(target, opt, F.CrossEntropy).With(new UnfreezeAt(target.Backbone, epoch: 2, lr: 0.02));
        var h = t.Fit(fine, fineValid, epochs: 2);
        Assert.Equal(frozen, target.Backbone.Parameters().First().ToArray());      // frozen for two epochs
        double headOnly = h.Last("val_accuracy")!.Value;
        Assert.True(headOnly > 0.5, $"head-only accuracy {headOnly} (chance is 0.2)");

        h = t.Fit(fine, fineValid, epochs: 3, startEpoch: 2);                       // unfrozen at epoch 2
        Assert.NotEqual(frozen, target.Backbone.Parameters().First().ToArray());
        Assert.Equal(0.02, opt.ParamGroups[0].Lr, 9);
        Assert.True(h.Last("val_accuracy") > headOnly + 0.05, $"fine-tuned accuracy {h.Last("val_accuracy")} vs head-only {headOnly}");
        Directory.Delete(dir, true);
    }
}
