namespace CrackSeg.Tests.TestSupport;

/// <summary>
/// Tests whose outcome depends on the trajectory of an in-process training run. TorchSharp's
/// manual_seed seeds one process-wide generator, so a test running alongside that seeds or draws
/// from it changes model initialisation and dropout here; seen as a rare failure of "epoch 2 is a
/// new best". Tests in this collection run alone.
/// </summary>
[CollectionDefinition(nameof(GlobalRandomStateCollection), DisableParallelization = true)]
public sealed class GlobalRandomStateCollection;
