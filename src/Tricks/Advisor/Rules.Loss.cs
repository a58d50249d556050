namespace Engine.Training;

// Rules about the loss and the input encoding.
public static partial class Advisor
{
    public const string SoftmaxThenLogId = "softmax-then-log";
    public const string OneHotCardinalityId = "one-hot-cardinality";

    /// <summary>One-hot inputs with more categories than this are better served by an embedding.</summary>
    public const int MaxOneHotCategories = 16;
    /// <summary>Largest suggested embedding width (fast.ai's rule: min(50, (categories + 1) / 2)).</summary>
    public const int MaxEmbeddingDim = 50;

    /// <summary>
    /// A model ending in Softmax whose loss takes the log (NLL): log(softmax(x)) underflows to -inf
    /// for confident wrong classes and its gradient loses precision; log_softmax computes
    /// x - logsumexp(x) stably. Ending in Softmax with cross-entropy applies softmax twice.
    /// </summary>
    public static IEnumerable<Finding> SoftmaxThenLog(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        if (layers.Count == 0) yield break;
        var (name, last) = layers[^1];
        if (last is Softmax && o.Loss == LossKind.NllOrLog)
            yield return new(SoftmaxThenLogId, Severity.Error,
                "the model ends in Softmax and the loss takes its log (NLL): log(softmax(x)) underflows to -inf for confident mistakes and loses precision. " +
                "End the model with LogSoftmax (keeping NLLLoss), or drop the Softmax and use CrossEntropyLoss on the logits.", name);
        else if (last is Softmax or LogSoftmax && o.Loss == LossKind.CrossEntropy)
            yield return new(SoftmaxThenLogId, Severity.Error,
                $"the model ends in {last.GetType().Name} but CrossEntropyLoss applies log_softmax itself, so the outputs are normalized twice and the gradients shrink. " +
                "Remove the last layer and feed the logits to CrossEntropyLoss.", name);
    }

    /// <summary>One-hot categorical inputs wider than 16 categories, where an embedding would serve.</summary>
    public static IEnumerable<Finding> OneHotCardinality(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        foreach (var (name, n) in o.OneHotInputs)
        {
            if (n <= MaxOneHotCategories) continue;
            int dim = Math.Min(MaxEmbeddingDim, (n + 1) / 2);
            yield return new(OneHotCardinalityId, Severity.Info,
                $"input '{name}' is one-hot with {n} categories (> {MaxOneHotCategories}): a wide, sparse input whose first layer learns {n} separate weight rows. " +
                $"Encode it as an index (CategoricalEncoder) into an Embedding({n}, {dim}), which also lets similar categories share structure.", name);
        }
    }
}
