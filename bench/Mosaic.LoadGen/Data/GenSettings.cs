namespace Mosaic.LoadGen.Data;

/// <summary>Shape of a generated data set; the same settings always give byte-identical files.</summary>
/// <param name="Spread">Norm of the Gaussian noise around a cluster center (centers have norm 1) before normalizing.</param>
/// <param name="Tail">Documents in each of the two extra files (ids after the main set) for writes after the import.</param>
internal sealed record GenSettings(int Docs, int Tail, int Queries, int Dimension, int Clusters, int Categories, double Spread, int VocabularySize, int Seed);
