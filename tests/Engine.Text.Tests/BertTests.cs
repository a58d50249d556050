using Engine.Tests.TestUtil;

namespace Engine.Text.Tests;

/// <summary>
/// BertModel against a small BERT written in plain torch.nn with Hugging Face's names and math (fixtures/bert/gen_bert.py):
/// a task checkpoint with the bert. prefix, a classifier head and the legacy position_ids buffer, loaded strict.
/// </summary>
public class BertTests
{
    private static string Tiny => Path.GetDirectoryName(Fixtures.PathOf("bert/tiny/config.json"))!;

    [Fact]
    public void HiddenStatesAndPooledOutputMatchTheTorchReference()
    {
        var bert = BertModel.FromPretrained(Tiny);
        bert.Eval();
        using var io = new Golden("bert/bert_io.safetensors");
        var t = io.T;
        var o = bert.Forward(t["input_ids"], t["attention_mask"], t["token_type_ids"]);
        io.Check("last_hidden_state", o.LastHiddenState, 1e-4);
        io.Check("pooler_output", o.PoolerOutput!, 1e-4);
    }

    [Fact]
    public void TheComposedAttentionPathAgreesWithTheFusedOne()
    {
        // Training mode with dropout 0 runs the same blocks; the fused path is eval's. Both must give the golden.
        var cfgPath = Path.Combine(Tiny, "config.json");
        var cfg = BertConfig.FromJson(cfgPath) with { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };
        var bert = new BertModel(cfg);
        var sd = Safetensors.Load(Path.Combine(Tiny, "model.safetensors"));
        var ignored = bert.LoadHuggingFace(sd);
        Assert.Equal(new[] { "bert.embeddings.position_ids", "classifier.bias", "classifier.weight" }, ignored.OrderBy(k => k, StringComparer.Ordinal));
        using var io = new Golden("bert/bert_io.safetensors");
        var t = io.T;
        var o = bert.Forward(t["input_ids"], t["attention_mask"], t["token_type_ids"]);
        io.Check("last_hidden_state", o.LastHiddenState, 1e-4);
        // gradients flow to every parameter from the pooled output
        o.PoolerOutput!.Sum().Backward();
        Assert.All(bert.NamedParameters(), p => Assert.True(p.Parameter.Grad != null, $"{p.Name} got no gradient"));
    }

    [Fact]
    public void ReadsHuggingFaceConfigKeys()
    {
        var c = BertConfig.FromJson(Path.Combine(Tiny, "config.json"));
        Assert.Equal((40, 16, 2, 2, 32, 24, 2, 1e-12), (c.VocabSize, c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize, c.MaxPositionEmbeddings, c.TypeVocabSize, c.LayerNormEps));
        var dir = TorchPython.TempDir("bertcfg");
        var bad = Path.Combine(dir, "config.json");
        File.WriteAllText(bad, """{"hidden_size": "big"}""");
        Assert.Contains("'hidden_size' must be an integer", Assert.Throws<InvalidDataException>(() => BertConfig.FromJson(bad)).Message);
        File.WriteAllText(bad, """{"hidden_size": 10, "num_attention_heads": 3}""");
        Assert.Contains("hidden_size 10 must be divisible by num_attention_heads 3", Assert.Throws<InvalidDataException>(() => BertConfig.FromJson(bad)).Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void ACheckpointOfAnotherSizeNamesTheKeysAndShapes()
    {
        var cfg = BertConfig.FromJson(Path.Combine(Tiny, "config.json")) with { IntermediateSize = 64 };
        var sd = Safetensors.Load(Path.Combine(Tiny, "model.safetensors"));
        var e = Assert.Throws<ArgumentException>(() => new BertModel(cfg).LoadHuggingFace(sd));
        Assert.Contains("shape mismatch for 'encoder.layer.0.intermediate.dense.weight': the module has [64,16], the state dict has [32,16]", e.Message);
        sd.Remove("bert.pooler.dense.weight");
        var m = Assert.Throws<ArgumentException>(() => new BertModel(cfg with { IntermediateSize = 32 }).LoadHuggingFace(sd));
        Assert.Contains("missing key 'pooler.dense.weight'", m.Message);
    }

    [Fact]
    public void ATokenIdBeyondTheVocabularyIsAnError()
    {
        var bert = BertModel.FromPretrained(Tiny);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => bert.Forward(Tensor.FromArray([2, 40, 3], 1, 3)));
        Assert.Contains("token id 40 at [0, 1]", e.Message);
        Assert.Contains("outside the vocabulary [0, 39]", e.Message);
        Assert.Contains("attention_mask [1,2] must have input_ids' shape [1,3]",
            Assert.Throws<ShapeException>(() => bert.Forward(Tensor.FromArray([2, 4, 3], 1, 3), Tensor.FromArray([1, 1], 1, 2))).Message);
    }

    [Fact]
    public void RobertaPositionsCountFromThePaddingId()
    {
        // RoBERTa: position = pad + 1 + index among the real tokens, pad for padding; so left padding shifts nothing.
        var cfg = new BertConfig { ModelType = "roberta", VocabSize = 20, HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 8,
            MaxPositionEmbeddings = 10, TypeVocabSize = 1, PadTokenId = 1, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };
        var m = new BertModel(cfg); m.Eval();
        var right = m.Forward(Tensor.FromArray([0, 5, 6, 2, 1], 1, 5), Tensor.FromArray([1, 1, 1, 1, 0], 1, 5)).LastHiddenState;
        var left = m.Forward(Tensor.FromArray([1, 0, 5, 6, 2], 1, 5), Tensor.FromArray([0, 1, 1, 1, 1], 1, 5)).LastHiddenState;
        Approx.Equal(right.Narrow(1, 0, 4).Contiguous().ToArray(), left.Narrow(1, 1, 4).Contiguous().ToArray(), 1e-5, 1e-5, "real tokens");
    }
}
