"""The matrix really covers every value pair of every two dimensions."""
import itertools
import unittest

from boot import matrix


class MatrixTest(unittest.TestCase):
    def test_pairwise_coverage(self):
        dims = list(matrix.DIMENSIONS.values())
        for i, j in itertools.combinations(range(len(dims)), 2):
            seen = {(row[i], row[j]) for row in matrix.ROWS}
            for pair in itertools.product(dims[i], dims[j]):
                self.assertIn(pair, seen, f"dimensions {i},{j}")

    def test_rows_use_known_values_and_are_distinct(self):
        dims = list(matrix.DIMENSIONS.values())
        for row in matrix.ROWS:
            for value, allowed in zip(row, dims):
                self.assertIn(value, allowed)
        self.assertEqual(len(set(matrix.ROWS)), len(matrix.ROWS))
        names = [b.name for b in matrix.matrix_boots()]
        self.assertEqual(len(set(names)), len(names))


if __name__ == "__main__":
    unittest.main()
