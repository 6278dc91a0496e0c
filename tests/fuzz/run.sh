#!/bin/sh
# Runs each libFuzzer target for SECONDS, from a seed corpus (the fixtures,
# synth models, the committed vocabulary, interventions), keeping new inputs
# in build/fuzz/<target>/corpus and crash reproducers in build/fuzz/<target>/.
# Inputs under tests/fuzz/regressions/<target>/ (crashes found and fixed)
# run first. Prints executions per second and totals; exits 1 when a target
# crashed.
set -u
seconds=$1
shift
failed=0
for target in "$@"; do
  name=$(basename "$target")
  dir=build/fuzz/$name
  mkdir -p "$dir/corpus" "$dir/seeds"
  case $name in
    fuzz_gguf)
      for f in tests/fixtures/*.gguf assets/vocab/*.gguf; do [ -f "$f" ] && cp "$f" "$dir/seeds/"; done
      if [ -x ./moetop ]; then
        ./moetop synth -q --preset tiny --vocab-base 256 -o "$dir/seeds/tiny.gguf"
        # the other families' loaders: q/k norms, no biases, Mixtral's per-expert tensors
        for arch in mixtral qwen3moe olmoe; do
          ./moetop synth -q --arch $arch --preset tiny --vocab-base 256 --layers 1 -o "$dir/seeds/tiny-$arch.gguf"
        done
        ./moetop synth -q --arch mixtral --split-experts --preset tiny --vocab-base 256 --layers 1 -o "$dir/seeds/tiny-split.gguf"
      fi ;;
    fuzz_tokenizer)
      printf 'Hello world' > "$dir/seeds/a"; printf "I'm 127 * 89 <|start|>x\xff\xe2\x82" > "$dir/seeds/b"
      cp tests/tiktoken/gen_corpus.cjs "$dir/seeds/c" ;;
    fuzz_pretok)
      printf "Hello  world's 12345\r\n\t x" > "$dir/seeds/a"; printf "I'M \xcc\x81a\xff\xe2\x82 \xc2\x85\n" > "$dir/seeds/b"
      cp tests/tokdiff/corpus.cjs "$dir/seeds/c" ;;
    fuzz_config)
      cp config/moetop.ini "$dir/seeds/shipped.ini"
      printf '[display]\ncolors = 16\n[theme]\nramp = cividis\n' > "$dir/seeds/a"; printf 'bad line\n' > "$dir/seeds/b" ;;
    fuzz_script)
      printf 'j\nTab\ntype hello \303\251\nwait 10\nclick 3 4\nframe x.txt\n# c\nC-a\nF12\nS-Tab\n' > "$dir/seeds/a"
      printf 'type\nclick 1\nwait -1\n' > "$dir/seeds/b" ;;
    fuzz_lines)
      # the first byte picks the size of the pieces a stream comes in
      printf '\003a\nb\r\nc\rd' > "$dir/seeds/a"; printf '\001\357\273\277x \r\n\t\r\n\r\ny' > "$dir/seeds/b"
      cp assets/prompts/code.txt "$dir/seeds/c" ;;
    fuzz_interventions)
      printf '\0001,2@0,3' > "$dir/seeds/a"; printf '\0012@1' > "$dir/seeds/b"; printf '\0027' > "$dir/seeds/c" ;;
  esac
  # crashes found before, kept as regression inputs: each must now run clean
  if [ -d "tests/fuzz/regressions/$name" ] && ls "tests/fuzz/regressions/$name"/* >/dev/null 2>&1; then
    if ! reg=$("$target" -rss_limit_mb=2048 "tests/fuzz/regressions/$name"/* 2>&1); then
      printf '%s\n' "$reg" | tail -30
      echo "FAIL $name: a regression input crashes again"
      failed=1
      continue
    fi
  fi
  out=$("$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/" "$dir/corpus" "$dir/seeds" 2>&1)
  status=$?
  runs=$(printf '%s\n' "$out" | sed -n 's/.*stat::number_of_executed_units: *//p' | tail -1)
  rate=$(printf '%s\n' "$out" | sed -n 's/.*stat::average_exec_per_sec: *//p' | tail -1)
  if [ "$status" -ne 0 ]; then
    failed=1
    printf '%s\n' "$out" | tail -30
    echo "FAIL $name: crashed (reproducer in $dir/)"
  else
    echo "PASS $name: ${runs:-?} executions in ${seconds}s, ${rate:-?}/s"
  fi
done
exit $failed
