using System.Collections;

namespace Engine.Data;

/// <summary>
/// A source of batches that makes new tensors for every batch of every epoch and hands them over: the consumer owns
/// them. The <see cref="Engine.Training.Trainer"/> disposes each batch of such a source once its step is done, so a long
/// run does not leave one batch per step to the GC (whose finalizers cannot return arrays to the pool: the pool then
/// allocates afresh each step and the process grows until a full collection). A plain
/// <c>IEnumerable&lt;(Tensor, Tensor)&gt;</c> (a list of batches reused every epoch, say) is never disposed by the trainer.
/// <see cref="DataLoader"/> is one; wrap an iterator of your own that makes its batches with <see cref="Batches.Fresh"/>.
/// </summary>
public interface IFreshBatches : IEnumerable<(Tensor x, Tensor y)>;

/// <summary>Helpers for batch sources.</summary>
public static class Batches
{
    /// <summary>Declares that <paramref name="source"/> makes a new (x, y) for every batch that the consumer owns.</summary>
    public static IFreshBatches Fresh(IEnumerable<(Tensor x, Tensor y)> source) => new FreshSource(source ?? throw new ArgumentNullException(nameof(source)));

    private sealed class FreshSource(IEnumerable<(Tensor x, Tensor y)> inner) : IFreshBatches
    {
        public IEnumerator<(Tensor x, Tensor y)> GetEnumerator() => inner.GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
