using Engine.Tests.TestUtil;

namespace Engine.Text.Tests;

/// <summary>Pooling, the contrastive losses, the BERT param-group presets, the warmup-linear schedule and the classification head.</summary>
public class FineTuningTests
{
    [Fact]
    public void MaskedMeanAveragesOnlyRealTokens()
    {
        var h = Tensor.FromArray([1f, 2f, 3f, 4f, 100f, 100f, /* n=1 */ 5f, 6f, 7f, 8f, 9f, 10f], 2, 3, 2);
        var m = Tensor.FromArray([1, 1, 0, 1, 1, 1], 2, 3);
        Approx.Equal(new[] { 2f, 3f, 7f, 8f }, Pooling.MaskedMean(h, m).ToArray(), 1e-6, 1e-6, "mean");
        Assert.Throws<ShapeException>(() => Pooling.MaskedMean(h, Tensor.FromArray([1, 1], 1, 2)));
    }

    [Fact]
    public void InfoNceIsCrossEntropyOfScaledCosines()
    {
        var a = GradCheck.Values(12, seed: 1); var p = GradCheck.Values(12, seed: 2); var n = GradCheck.Values(12, seed: 3);
        const double tau = 0.1;
        // reference in float64: rows of [cos(a_i, p_j) | cos(a_i, n_j)] / tau, label i
        double Cos(float[] x, int i, float[] y, int j) { double d = 0, nx = 0, ny = 0; for (int e = 0; e < 4; e++) { d += x[i * 4 + e] * y[j * 4 + e]; nx += x[i * 4 + e] * x[i * 4 + e]; ny += y[j * 4 + e] * y[j * 4 + e]; } return d / Math.Sqrt(nx * ny); }
        double expected = 0;
        for (int i = 0; i < 3; i++)
        {
            var row = Enumerable.Range(0, 3).Select(j => Cos(a, i, p, j) / tau).Concat(Enumerable.Range(0, 3).Select(j => Cos(a, i, n, j) / tau)).ToArray();
            double mx = row.Max(), lse = mx + Math.Log(row.Sum(v => Math.Exp(v - mx)));
            expected += (lse - row[i]) / 3;
        }
        var loss = Contrastive.InfoNce(Tensor.FromArray(a, 3, 4), Tensor.FromArray(p, 3, 4), Tensor.FromArray(n, 3, 4), tau).ToArray()[0];
        Assert.Equal(expected, loss, 4);
        GradCheck.Check(t => Contrastive.InfoNce(t[0], t[1], t[2], 0.5), [([3, 4], a), ([3, 4], p), ([3, 4], n)], what: "InfoNCE");
        Assert.Contains("temperature must be positive", Assert.Throws<ArgumentOutOfRangeException>(() => Contrastive.InfoNce(Tensor.FromArray(a, 3, 4), Tensor.FromArray(p, 3, 4), temperature: 0)).Message);
    }

    [Fact]
    public void WarmupLinearRisesFromZeroAndFallsToZero()
    {
        var w = Tensor.Zeros(2).RequiresGrad_();
        var opt = new SGD([new ParamGroup([w])], lr: 1.0);
        var s = new WarmupLinear(opt, warmupSteps: 2, totalSteps: 6);
        var lrs = new List<double> { opt.ParamGroups[0].Lr };
        for (int i = 0; i < 7; i++) { s.Step(); lrs.Add(opt.ParamGroups[0].Lr); }
        Approx.Equal(new[] { 0, 0.5, 1, 0.75, 0.5, 0.25, 0, 0 }, lrs.Select(v => (float)v).ToArray(), 1e-12, 1e-12, "lr");
    }

    private static BertModel Small(int layers = 2) => new(new BertConfig { VocabSize = 30, HiddenSize = 8, NumHiddenLayers = layers, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 16 });

    [Fact]
    public void LayerwiseDecayGivesDeeperLayersLargerRates()
    {
        var bert = Small();
        var head = new Linear(8, 3);
        var groups = BertParamGroups.LayerwiseDecay(bert, head, lr: 1.0, decay: 0.5);
        double Lr(string name) => groups.First(g => g.Name == name).Lr;
        Assert.Equal((1.0, 1.0, 0.5, 0.25, 0.125), (Lr("head"), Lr("pooler"), Lr("layer.1"), Lr("layer.0"), Lr("embeddings")));
        Assert.Equal(0.0, groups.First(g => g.Name == "layer.0.no_decay").WeightDecay);
        // every parameter exactly once; LayerNorm weights and biases undecayed
        var all = groups.SelectMany(g => g.Params).ToList();
        Assert.Equal(bert.Parameters().Count() + head.Parameters().Count(), all.Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.Equal(all.Count, all.Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.Contains(bert.Embeddings.LayerNorm.Weight!, groups.First(g => g.Name == "embeddings.no_decay").Params);
        var bh = BertParamGroups.BackboneAndHead(bert, head, 1e-5, 1e-3);
        Assert.Equal(1e-3, bh.First(g => g.Name == "head").Lr);
        Assert.Equal(1e-5, bh.First(g => g.Name == "backbone").Lr);
    }

    [Fact]
    public void SequenceClassifierHasTheTaskCheckpointsKeys()
    {
        var dir = Path.GetDirectoryName(Fixtures.PathOf("bert/tiny/config.json"))!;
        var model = new BertForSequenceClassification(new BertModel(BertConfig.FromJson(Path.Combine(dir, "config.json"))), numLabels: 3);
        var sd = Safetensors.Load(Path.Combine(dir, "model.safetensors"));
        sd.Remove("bert.embeddings.position_ids");
        model.LoadStateDict(sd);   // strict: bert.* and classifier.* exactly
        model.Eval();
        var logits = model.Forward(Tensor.FromArray([2, 7, 11, 3], 1, 4));
        Assert.Equal(new[] { 1, 3 }, logits.Shape.ToArray());
        Approx.Equal(sd["classifier.weight"].ToArray(), model.Classifier.Weight.ToArray(), 0, 0, "classifier");
    }
}
