namespace Engine.Text;

/// <summary>
/// Hugging Face's BertForSequenceClassification: logits = classifier(dropout(pooler_output)), keys <c>bert.*</c> and
/// <c>classifier.weight</c> [numLabels, E], <c>classifier.bias</c>, so its own state dict is a task checkpoint's.
/// </summary>
public sealed class BertForSequenceClassification : Module
{
    public BertModel Bert { get; }
    public Linear Classifier { get; }
    public int NumLabels { get; }
    private readonly double _dropout;

    public BertForSequenceClassification(BertModel bert, int numLabels, double? classifierDropout = null)
    {
        if (bert.Pooler == null) throw new ArgumentException("BertForSequenceClassification: the BertModel needs its pooler (addPoolingLayer: true)");
        if (numLabels <= 0) throw new ArgumentOutOfRangeException(nameof(numLabels), $"BertForSequenceClassification: numLabels must be positive, got {numLabels}");
        (NumLabels, _dropout) = (numLabels, classifierDropout ?? bert.Config.HiddenDropoutProb);
        Bert = RegisterModule("bert", bert);
        Classifier = RegisterModule("classifier", new Linear(bert.Config.HiddenSize, numLabels));
        using (Autograd.NoGrad()) { Init.Normal(Classifier.Weight, 0, 0.02); Classifier.Bias!.Fill_(0f); }
    }

    /// <summary>[N, T] ids (mask, types optional) to logits [N, numLabels].</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null) =>
        Classifier.Forward(F.Dropout(Bert.Forward(inputIds, attentionMask, tokenTypeIds).PoolerOutput!, _dropout, Training));

    public Tensor Forward(BertBatch b) => Forward(b.InputIds, b.AttentionMask, b.TokenTypeIds);
}

/// <summary>Parameter groups for fine-tuning a BERT: biases and LayerNorms without weight decay, as BERT's recipe.</summary>
public static class BertParamGroups
{
    /// <summary>The backbone at backboneLr, the fresh head at headLr (each split into decay / no-decay groups).</summary>
    public static List<ParamGroup> BackboneAndHead(BertModel bert, Module head, double backboneLr, double headLr, double weightDecay = 0.01)
    {
        var groups = new List<ParamGroup>();
        Split(groups, "backbone", bert.NamedParameters(), backboneLr, weightDecay);
        Split(groups, "head", head.NamedParameters(), headLr, weightDecay);
        return groups;
    }

    /// <summary>
    /// Layer-wise learning-rate decay (Sun et al. 2019; ELECTRA): the head and the pooler at lr, encoder layer
    /// L-1-k at lr decay^(k+1), the embeddings at lr decay^(L+1), so the layers nearest the input move least.
    /// Group names say which part and its rate ("layer.3", "embeddings", ...).
    /// </summary>
    public static List<ParamGroup> LayerwiseDecay(BertModel bert, Module? head, double lr, double decay = 0.9, double weightDecay = 0.01)
    {
        if (!(decay > 0 && decay <= 1)) throw new ArgumentOutOfRangeException(nameof(decay), $"LayerwiseDecay: decay must be in (0, 1], got {decay}");
        var groups = new List<ParamGroup>();
        int L = bert.Config.NumHiddenLayers;
        if (head != null) Split(groups, "head", head.NamedParameters(), lr, weightDecay);
        if (bert.Pooler != null) Split(groups, "pooler", bert.Pooler.NamedParameters(), lr, weightDecay);
        for (int i = L - 1; i >= 0; i--)
            Split(groups, $"layer.{i}", bert.Encoder.Layer[i].NamedParameters(), lr * Math.Pow(decay, L - i), weightDecay);
        Split(groups, "embeddings", bert.Embeddings.NamedParameters(), lr * Math.Pow(decay, L + 1), weightDecay);
        return groups;
    }

    private static void Split(List<ParamGroup> groups, string name, IEnumerable<(string Name, Tensor Parameter)> ps, double lr, double wd)
    {
        var list = ps.ToList();
        var decay = list.Where(p => !NoDecay(p.Name, p.Parameter)).Select(p => p.Parameter).ToList();
        var none = list.Where(p => NoDecay(p.Name, p.Parameter)).Select(p => p.Parameter).ToList();
        if (decay.Count > 0) groups.Add(new ParamGroup(decay, lr, wd, name));
        if (none.Count > 0) groups.Add(new ParamGroup(none, lr, 0, name + ".no_decay"));
    }

    private static bool NoDecay(string name, Tensor p) => p.Rank <= 1 || name.Contains("LayerNorm", StringComparison.Ordinal);
}
