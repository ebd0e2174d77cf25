import BaseplateServe

await BaseplateHealthcheck.main()
