"""The plugin's entry point: the language host runs ``python <this folder> <engine address>``."""

from hardened_aml.provider import main

if __name__ == "__main__":
    main()
