"""The simulator's instruments as data: one row per stock or ETF, one per optionable underlying.

Reference prices are round levels near where each traded in 2024-25; the price model starts each
symbol there at its epoch and lets it wander (seeded per symbol, so adding a row never moves another
row's prices). HK board lots are each stock's own (HKEX lists them per stock). Rows are read by
tigersim.instruments; append new rows at the end of their market and give each a new contract id.
"""

# symbol | name | exchange | reference price | daily volatility | average daily volume | board lot | contract id | flags
# flags: etf (an exchange-traded fund), whole (no fractional shares: Tiger's supportFractionalShare false)
STOCKS_US = """
AAPL  | Apple Inc.                          | NASDAQ | 190  | 0.016 | 55000000  | 1 | 14 |
MSFT  | Microsoft Corporation               | NASDAQ | 410  | 0.014 | 22000000  | 1 | 15 |
NVDA  | NVIDIA Corporation                  | NASDAQ | 120  | 0.030 | 250000000 | 1 | 113 |
TSLA  | Tesla, Inc.                         | NASDAQ | 240  | 0.035 | 95000000  | 1 | 16 |
AMZN  | Amazon.com, Inc.                    | NASDAQ | 185  | 0.019 | 45000000  | 1 | 17 |
GOOGL | Alphabet Inc.                       | NASDAQ | 170  | 0.018 | 30000000  | 1 | 18 |
META  | Meta Platforms, Inc.                | NASDAQ | 520  | 0.022 | 15000000  | 1 | 19 |
SPY   | SPDR S&P 500 ETF Trust              | ARCA   | 560  | 0.009 | 60000000  | 1 | 20 | etf
QQQ   | Invesco QQQ Trust                   | NASDAQ | 480  | 0.011 | 40000000  | 1 | 21 | etf whole
NFLX  | Netflix, Inc.                       | NASDAQ | 640  | 0.024 | 4000000   | 1 | 5001 |
AMD   | Advanced Micro Devices, Inc.        | NASDAQ | 150  | 0.030 | 50000000  | 1 | 5002 |
INTC  | Intel Corporation                   | NASDAQ | 32   | 0.025 | 45000000  | 1 | 5003 |
ORCL  | Oracle Corporation                  | NYSE   | 140  | 0.020 | 9000000   | 1 | 5004 |
IBM   | International Business Machines     | NYSE   | 190  | 0.013 | 4000000   | 1 | 5005 |
ADBE  | Adobe Inc.                          | NASDAQ | 520  | 0.020 | 3000000   | 1 | 5006 |
AVGO  | Broadcom Inc.                       | NASDAQ | 170  | 0.028 | 25000000  | 1 | 5007 |
CRM   | Salesforce, Inc.                    | NYSE   | 270  | 0.020 | 6000000   | 1 | 5008 |
CSCO  | Cisco Systems, Inc.                 | NASDAQ | 50   | 0.013 | 18000000  | 1 | 5009 |
QCOM  | QUALCOMM Incorporated               | NASDAQ | 170  | 0.022 | 8000000   | 1 | 5010 |
TXN   | Texas Instruments Incorporated      | NASDAQ | 190  | 0.016 | 6000000   | 1 | 5011 |
MU    | Micron Technology, Inc.             | NASDAQ | 110  | 0.032 | 20000000  | 1 | 5012 |
PYPL  | PayPal Holdings, Inc.               | NASDAQ | 65   | 0.022 | 15000000  | 1 | 5013 |
UBER  | Uber Technologies, Inc.             | NYSE   | 70   | 0.025 | 18000000  | 1 | 5014 |
SHOP  | Shopify Inc.                        | NYSE   | 75   | 0.032 | 9000000   | 1 | 5015 |
PLTR  | Palantir Technologies Inc.          | NYSE   | 30   | 0.040 | 60000000  | 1 | 5016 |
COIN  | Coinbase Global, Inc.               | NASDAQ | 220  | 0.045 | 9000000   | 1 | 5017 |
JPM   | JPMorgan Chase & Co.                | NYSE   | 210  | 0.013 | 9000000   | 1 | 5018 |
BAC   | Bank of America Corporation         | NYSE   | 40   | 0.015 | 35000000  | 1 | 5019 |
WFC   | Wells Fargo & Company               | NYSE   | 58   | 0.016 | 17000000  | 1 | 5020 |
GS    | The Goldman Sachs Group, Inc.       | NYSE   | 470  | 0.016 | 2500000   | 1 | 5021 |
MS    | Morgan Stanley                      | NYSE   | 100  | 0.016 | 7000000   | 1 | 5022 |
C     | Citigroup Inc.                      | NYSE   | 62   | 0.018 | 14000000  | 1 | 5023 |
V     | Visa Inc.                           | NYSE   | 275  | 0.011 | 6500000   | 1 | 5024 |
MA    | Mastercard Incorporated             | NYSE   | 460  | 0.012 | 2800000   | 1 | 5025 |
AXP   | American Express Company            | NYSE   | 240  | 0.015 | 3000000   | 1 | 5026 |
BRK.B | Berkshire Hathaway Inc. Class B     | NYSE   | 420  | 0.009 | 3500000   | 1 | 5027 |
JNJ   | Johnson & Johnson                   | NYSE   | 155  | 0.010 | 7000000   | 1 | 5028 |
PFE   | Pfizer Inc.                         | NYSE   | 28   | 0.015 | 35000000  | 1 | 5029 |
MRK   | Merck & Co., Inc.                   | NYSE   | 125  | 0.012 | 8000000   | 1 | 5030 |
ABBV  | AbbVie Inc.                         | NYSE   | 175  | 0.013 | 5500000   | 1 | 5031 |
LLY   | Eli Lilly and Company               | NYSE   | 850  | 0.020 | 3000000   | 1 | 5032 |
UNH   | UnitedHealth Group Incorporated     | NYSE   | 510  | 0.015 | 3500000   | 1 | 5033 |
KO    | The Coca-Cola Company               | NYSE   | 63   | 0.008 | 13000000  | 1 | 5034 |
PEP   | PepsiCo, Inc.                       | NASDAQ | 170  | 0.009 | 5000000   | 1 | 5035 |
WMT   | Walmart Inc.                        | NYSE   | 68   | 0.010 | 15000000  | 1 | 5036 |
COST  | Costco Wholesale Corporation        | NASDAQ | 800  | 0.012 | 2000000   | 1 | 5037 |
HD    | The Home Depot, Inc.                | NYSE   | 350  | 0.013 | 3500000   | 1 | 5038 |
MCD   | McDonald's Corporation              | NYSE   | 270  | 0.010 | 3200000   | 1 | 5039 |
NKE   | NIKE, Inc.                          | NYSE   | 90   | 0.018 | 9000000   | 1 | 5040 |
DIS   | The Walt Disney Company             | NYSE   | 100  | 0.016 | 9000000   | 1 | 5041 |
XOM   | Exxon Mobil Corporation             | NYSE   | 115  | 0.014 | 16000000  | 1 | 5042 |
CVX   | Chevron Corporation                 | NYSE   | 155  | 0.014 | 8000000   | 1 | 5043 |
BA    | The Boeing Company                  | NYSE   | 180  | 0.020 | 7000000   | 1 | 5044 |
CAT   | Caterpillar Inc.                    | NYSE   | 340  | 0.016 | 2800000   | 1 | 5045 |
GE    | GE Aerospace                        | NYSE   | 165  | 0.018 | 5500000   | 1 | 5046 |
F     | Ford Motor Company                  | NYSE   | 12   | 0.020 | 50000000  | 1 | 5047 |
GM    | General Motors Company              | NYSE   | 45   | 0.018 | 14000000  | 1 | 5048 |
T     | AT&T Inc.                           | NYSE   | 18   | 0.011 | 35000000  | 1 | 5049 |
VZ    | Verizon Communications Inc.         | NYSE   | 40   | 0.010 | 18000000  | 1 | 5050 |
BABA  | Alibaba Group Holding Limited       | NYSE   | 80   | 0.024 | 14000000  | 1 | 5051 |
PDD   | PDD Holdings Inc.                   | NASDAQ | 140  | 0.030 | 9000000   | 1 | 5052 |
JD    | JD.com, Inc.                        | NASDAQ | 28   | 0.026 | 12000000  | 1 | 5053 |
NIO   | NIO Inc.                            | NYSE   | 5.5  | 0.040 | 45000000  | 1 | 5054 |
BIDU  | Baidu, Inc.                         | NASDAQ | 100  | 0.024 | 3500000   | 1 | 5055 |
IWM   | iShares Russell 2000 ETF            | ARCA   | 205  | 0.013 | 30000000  | 1 | 5056 | etf
DIA   | SPDR Dow Jones Industrial Average ETF Trust | ARCA | 390 | 0.009 | 3500000 | 1 | 5057 | etf
GLD   | SPDR Gold Shares                    | ARCA   | 215  | 0.009 | 8000000   | 1 | 5058 | etf
TLT   | iShares 20+ Year Treasury Bond ETF  | NASDAQ | 92   | 0.009 | 35000000  | 1 | 5059 | etf
XLF   | Financial Select Sector SPDR Fund   | ARCA   | 42   | 0.011 | 40000000  | 1 | 5060 | etf
SMH   | VanEck Semiconductor ETF            | NASDAQ | 230  | 0.022 | 8000000   | 1 | 5061 | etf
ARKK  | ARK Innovation ETF                  | ARCA   | 48   | 0.028 | 15000000  | 1 | 5062 | etf
"""

STOCKS_HK = """
00700 | TENCENT                 | SEHK | 380  | 0.018 | 18000000  | 100  | 700  |
09988 | BABA-W                  | SEHK | 85   | 0.024 | 60000000  | 100  | 9988 |
03690 | MEITUAN-W               | SEHK | 130  | 0.028 | 25000000  | 100  | 3690 |
00005 | HSBC HOLDINGS           | SEHK | 68   | 0.011 | 20000000  | 400  | 5    |
02800 | TRACKER FUND            | SEHK | 20   | 0.010 | 80000000  | 500  | 2800 | etf
00001 | CKH HOLDINGS            | SEHK | 42   | 0.013 | 6000000   | 500  | 1    |
00002 | CLP HOLDINGS            | SEHK | 65   | 0.009 | 3000000   | 500  | 2    |
00003 | HK & CHINA GAS          | SEHK | 6.2  | 0.012 | 15000000  | 1000 | 3    |
00011 | HANG SENG BANK          | SEHK | 95   | 0.012 | 2500000   | 100  | 11   |
00016 | SHK PPT                 | SEHK | 75   | 0.017 | 5000000   | 500  | 16   |
00027 | GALAXY ENT              | SEHK | 35   | 0.024 | 12000000  | 1000 | 27   |
00066 | MTR CORPORATION         | SEHK | 27   | 0.012 | 4000000   | 500  | 66   |
00175 | GEELY AUTO              | SEHK | 10   | 0.030 | 60000000  | 1000 | 175  |
00386 | SINOPEC CORP            | SEHK | 4.6  | 0.015 | 80000000  | 2000 | 386  |
00388 | HKEX                    | SEHK | 260  | 0.018 | 6000000   | 100  | 388  |
00688 | CHINA OVERSEAS          | SEHK | 13   | 0.024 | 20000000  | 500  | 688  |
00762 | CHINA UNICOM            | SEHK | 7.5  | 0.015 | 25000000  | 2000 | 762  |
00823 | LINK REIT               | SEHK | 35   | 0.014 | 8000000   | 100  | 823  |
00857 | PETROCHINA              | SEHK | 6.5  | 0.017 | 120000000 | 2000 | 857  |
00883 | CNOOC                   | SEHK | 19   | 0.019 | 60000000  | 1000 | 883  |
00939 | CCB                     | SEHK | 5.5  | 0.013 | 250000000 | 1000 | 939  |
00941 | CHINA MOBILE            | SEHK | 70   | 0.011 | 15000000  | 500  | 941  |
00981 | SMIC                    | SEHK | 20   | 0.035 | 60000000  | 500  | 981  |
01024 | KUAISHOU-W              | SEHK | 50   | 0.030 | 20000000  | 100  | 1024 |
01093 | CSPC PHARMA             | SEHK | 6    | 0.022 | 40000000  | 2000 | 1093 |
01109 | CHINA RES LAND          | SEHK | 26   | 0.024 | 15000000  | 500  | 1109 |
01177 | SINO BIOPHARM           | SEHK | 3    | 0.024 | 60000000  | 1000 | 1177 |
01211 | BYD COMPANY             | SEHK | 260  | 0.026 | 8000000   | 500  | 1211 |
01299 | AIA                     | SEHK | 58   | 0.017 | 25000000  | 200  | 1299 |
01398 | ICBC                    | SEHK | 4.3  | 0.012 | 250000000 | 1000 | 1398 |
01810 | XIAOMI-W                | SEHK | 18   | 0.028 | 120000000 | 200  | 1810 |
01928 | SANDS CHINA LTD         | SEHK | 18   | 0.025 | 20000000  | 400  | 1928 |
02015 | LI AUTO-W               | SEHK | 90   | 0.035 | 8000000   | 100  | 2015 |
02020 | ANTA SPORTS             | SEHK | 80   | 0.022 | 6000000   | 200  | 2020 |
02269 | WUXI BIO                | SEHK | 15   | 0.040 | 40000000  | 500  | 2269 |
02318 | PING AN                 | SEHK | 40   | 0.020 | 40000000  | 500  | 2318 |
02331 | LI NING                 | SEHK | 18   | 0.028 | 20000000  | 500  | 2331 |
02382 | SUNNY OPTICAL           | SEHK | 50   | 0.028 | 6000000   | 100  | 2382 |
02388 | BOC HONG KONG           | SEHK | 23   | 0.013 | 15000000  | 500  | 2388 |
02628 | CHINA LIFE              | SEHK | 11   | 0.022 | 40000000  | 1000 | 2628 |
02828 | HANG SENG CHINA ENT     | SEHK | 65   | 0.015 | 15000000  | 200  | 2828 | etf
03033 | CSOP HS TECH            | SEHK | 3.8  | 0.022 | 300000000 | 200  | 3033 | etf
03968 | CM BANK                 | SEHK | 35   | 0.018 | 15000000  | 500  | 3968 |
03988 | BANK OF CHINA           | SEHK | 3.4  | 0.011 | 250000000 | 1000 | 3988 |
09618 | JD-SW                   | SEHK | 110  | 0.028 | 12000000  | 50   | 9618 |
09888 | BIDU-SW                 | SEHK | 90   | 0.025 | 4000000   | 50   | 9888 |
09999 | NTES-S                  | SEHK | 140  | 0.020 | 4000000   | 100  | 9999 |
"""

# underlying | implied volatility | strike step | HKEX option symbol | shares per contract
# (US options cover 100 shares and take the stock's ticker as their root.)
OPTIONS = """
AAPL  | 0.27 | 5
SPY   | 0.16 | 5
TSLA  | 0.55 | 5
MSFT  | 0.24 | 5
NVDA  | 0.50 | 5
AMZN  | 0.32 | 5
META  | 0.38 | 10
GOOGL | 0.30 | 5
QQQ   | 0.20 | 5
AMD   | 0.50 | 5
NFLX  | 0.38 | 10
IWM   | 0.22 | 5
00700 | 0.30 | 10   | TCH.HK | 100
09988 | 0.38 | 2.5  | ALB.HK | 500
03690 | 0.45 | 2.5  | MET.HK | 100
00005 | 0.22 | 1    | HKB.HK | 400
00388 | 0.30 | 5    | HEX.HK | 100
01299 | 0.28 | 1    | AIA.HK | 1000
01810 | 0.45 | 0.5  | MIU.HK | 1000
02800 | 0.18 | 0.5  | TRF.HK | 500
"""
