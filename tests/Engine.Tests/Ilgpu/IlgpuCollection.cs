namespace Engine.Tests.Ilgpu;

/// <summary>
/// The ILGPU tests share one CPU accelerator (creating one costs seconds), so they run one after the other, as one
/// collection, in parallel with every other collection. They used to run alone: beside the parallel CPU tests one of
/// them came back with an all-zero result about once in ten full runs. The cause was the unpinned host arrays of
/// ILGPU's ref-T copies (CopyUnderGcTests, issue 14), not the parallelism.
/// </summary>
[CollectionDefinition("ilgpu")]
public sealed class IlgpuCollection;
