from benchmarks.run import main  # python -m benchmarks

main()
