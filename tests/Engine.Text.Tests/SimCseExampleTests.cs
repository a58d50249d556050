using Engine.Tests.TestUtil;

namespace Engine.Text.Tests;

/// <summary>The README's SimCSE example: a BERT-shaped model fine-tuned on the shipped paraphrases (data/text).</summary>
[Collection(GlobalGeneratorCollection.Name)]
public class SimCseExampleTests
{
    private static string Data(string f) => Path.Combine(AppContext.BaseDirectory, "data", "text", f);

    /// <summary>Fraction of sentences whose nearest paraphrase (cosine, among all 32) is their own.</summary>
    private static double Retrieval(Tensor a, Tensor b)
    {
        using var _ = Tensor.NoGrad();
        var sim = Contrastive.CosineSimilarityMatrix(a, b).Argmax(1).ToIntArray();
        return sim.Select((j, i) => j == i ? 1.0 : 0).Average();
    }

    [Fact]
    public void SimCseFineTuningPullsParaphrasesTogether()
    {
        Seed.Everything(7);
        // --- README: SimCSE ---
        var pairs = File.ReadLines(Data("paraphrases.tsv")).Select(l => l.Split('\t')).ToArray();
        string[] first = pairs.Select(p => p[0]).ToArray(), second = pairs.Select(p => p[1]).ToArray();
        var tok = Tokenizer.FromVocab(Data("vocab.txt"));
        var bert = new BertModel(new BertConfig { VocabSize = tok.VocabSize, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4,
                                                  IntermediateSize = 64, MaxPositionEmbeddings = 32 });
        Tensor Embed(string[] texts)
        {
            var b = tok.Batch(texts, maxLength: 32);
            return Pooling.MaskedMean(bert.Forward(b.InputIds, b.AttentionMask).LastHiddenState, b.AttentionMask);
        }
        var opt = new AdamW(BertParamGroups.LayerwiseDecay(bert, head: null, lr: 2e-3, decay: 0.9), lr: 2e-3);
        var sched = new WarmupLinear(opt, warmupSteps: 10, totalSteps: 100);
        var losses = new List<float>();
        for (int step = 0; step < 100; step++)
        {
            using var _ = Tensor.Scope();
            // unsupervised SimCSE on every sentence for the first half (two dropout views), then supervised on the pairs
            var loss = step < 50 ? Contrastive.UnsupervisedSimCse(() => Embed(first.Concat(second).ToArray()))
                                 : Contrastive.InfoNce(Embed(first), Embed(second), temperature: 0.05);
            opt.ZeroGrad(); loss.Backward(); opt.Step(); sched.Step();
            losses.Add(loss.Item());
        }
        // --- end ---
        bert.Eval();
        double acc = Retrieval(Embed(first), Embed(second));
        Assert.True(losses[45..50].Average() < losses[..5].Average() * 0.5, $"unsupervised loss {losses[..5].Average():F3} -> {losses[45..50].Average():F3}");
        Assert.True(losses[^5..].Average() < losses[50..55].Average() * 0.5, $"supervised loss {losses[50..55].Average():F3} -> {losses[^5..].Average():F3}");
        Assert.True(acc >= 0.95, $"paraphrase retrieval {acc:P0}");
    }
}
