// The tiled product of the subgroup kernels over many tokens (included by
// matmul_tiled.comp and moe_matmul_tiled.comp): a workgroup of 128 computes
// a tile of 64 weight rows x 32 tokens, 16 outputs an invocation (rows
// tr + 16 a, tokens tt + 8 b, a, b < 4), walking the row length a block of
// 32 at a time: half the invocations dequantize the tile's 64 blocks (one
// row each, load_block) into shared memory while the other half copy the
// tokens' 32 x values, then every invocation sums its 16 outputs from
// shared memory. The caller defines x_at(t, i) (x[token t][i], 0 past the
// tile's tokens) and row_at(r) (the byte offset of row r), and calls
// tile_gemm, then reads acc. Sums run in float32: a block's products in
// four chains of 8 (j mod 4), summed pairwise and added to the outputs
// block by block.
const uint TR = 64u, TT = 32u;
shared float ws[TR][33]; // 33: a row's k-th values fall in different banks
shared float xs[TT][33];

float acc[4][4];

// rows [r0, r0 + 64) of n_rows, tokens [0, n_tok) of the tile, rows n_in long
void tile_gemm(uint r0, uint n_rows, uint n_tok, uint n_in) {
    uint i = gl_LocalInvocationID.x, tr = i % 16u, tt = i / 16u;
    [[unroll]] for (uint a = 0u; a < 4u; a++)
        [[unroll]] for (uint b = 0u; b < 4u; b++) acc[a][b] = 0.0;
    uint n_blocks = (n_in + 31u) / 32u;
    for (uint blk = 0u; blk < n_blocks; blk++) {
        if (i < TR) {
            float v[32];
            if (r0 + i < n_rows) load_block(row_at(r0 + i), blk, n_in, v);
            else [[unroll]] for (uint j = 0u; j < 32u; j++) v[j] = 0.0;
            [[unroll]] for (uint j = 0u; j < 32u; j++) ws[i][j] = v[j];
        } else {
            uint li = i - TR; // 64 invocations copy 32 tokens x 32 values, consecutive lanes consecutive values
            [[unroll]] for (uint q = 0u; q < 16u; q++) {
                uint idx = q * 64u + li, t = idx / 32u, j = idx % 32u, k = blk * 32u + j;
                xs[t][j] = t < n_tok && k < n_in ? x_at(t, k) : 0.0;
            }
        }
        barrier();
        // four partial sums a block (j mod 4), added pairwise into the outputs: chains of 8
        float part[4][4][4];
        [[unroll]] for (uint h = 0u; h < 4u; h++)
            [[unroll]] for (uint a = 0u; a < 4u; a++)
                [[unroll]] for (uint b = 0u; b < 4u; b++) part[h][a][b] = 0.0;
        [[unroll]] for (uint j = 0u; j < 32u; j++) {
            float w[4], xv[4];
            [[unroll]] for (uint a = 0u; a < 4u; a++) w[a] = ws[tr + 16u * a][j];
            [[unroll]] for (uint b = 0u; b < 4u; b++) xv[b] = xs[tt + 8u * b][j];
            [[unroll]] for (uint a = 0u; a < 4u; a++)
                [[unroll]] for (uint b = 0u; b < 4u; b++) part[j & 3u][a][b] += w[a] * xv[b];
        }
        [[unroll]] for (uint a = 0u; a < 4u; a++)
            [[unroll]] for (uint b = 0u; b < 4u; b++) acc[a][b] += (part[0][a][b] + part[1][a][b]) + (part[2][a][b] + part[3][a][b]);
        barrier();
    }
}
